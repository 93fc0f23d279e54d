/**
 * What tags need from a user's state, kept bounded: their counters join the counter plan, `distinct`
 * tags keep one small record of the current session; and the profile parts tags and `nudge profile`
 * show: when each trait was set, and the identifiers the user's events carried.
 */
import { describe, expect, it } from 'vitest';
import { countOf, ruleOf, tagIs, tagOf } from '../../test/support/unit-rules';
import type { DistinctTag } from '../../rules/schema/tags';
import type { EventEnvelope } from '../events/envelope';
import { applyEvent, emptyState, MAX_ANONYMOUS_IDS, type UserState } from './behavior-state';
import { buildCounterPlan, counterKey, parseCounterKey, parseSessionKey, sessionKey, type CounterPlan } from './counter-plan';
import { distinctInSession, sessionValue } from './sessions';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;

const page = (path: unknown, at: number, extra: Record<string, unknown> = {}): EventEnvelope =>
  ({ type: 'page', userId: 'u1', messageId: `page-${at}-${String(path)}`, timestamp: new Date(at).toISOString(), properties: { path, ...extra }, context: {} });
const identify = (traits: Record<string, unknown>, at: number, ids: { userId?: string; anonymousId?: string } = { userId: 'u1' }): EventEnvelope =>
  ({ type: 'identify', ...ids, messageId: `identify-${at}`, timestamp: new Date(at).toISOString(), traits, context: {} });

function replay(plan: CounterPlan, events: EventEnvelope[], state: UserState = emptyState('u1')): UserState {
  return events.reduce((s, event) => applyEvent(s, event, s.lastSeq + 1, plan), state);
}

const depthTag = tagOf({ name: 'visit_depth', kind: 'distinct', event: 'page_viewed', property: 'path', sessionGap: '30m', max: 5 }) as DistinctTag;
const depthKey = sessionKey({ ...depthTag, gapMs: 30 * MINUTE });
const depthAt = (state: UserState, now: number) => distinctInSession(state.sessions?.[depthKey], 30 * MINUTE, 5, now);

describe('the counter plan with tags', () => {
  it('a count tag keeps its window and up to its max timestamps, merged with what rules need of the same counter', () => {
    const rule = ruleOf({ trigger: { event: 'x', conditions: { all: [countOf('page_viewed', '30d', 'greaterThan', 2)] } } });
    const plan = buildCounterPlan([rule], [tagOf({ name: 'visits', kind: 'count', event: 'page_viewed', within: '7d', max: 50 })]);
    expect(plan.byKey.get('page_viewed')).toMatchObject({ windowMs: 30 * DAY, maxCount: 50 });
  });

  it('counters inside stage and condition tags join the plan like rule conditions', () => {
    const stage = tagOf({ name: 'stage', kind: 'stages', stages: [{ name: 'ordered', conditions: { all: [countOf('order_completed', '30d', 'greaterThanInclusive', 1, { paid: true })] } }] });
    const hot = tagOf({ name: 'hot', kind: 'condition', conditions: { all: [tagIs('stage', 'equal', 'ordered'), countOf('checkout_started', '1d', 'greaterThan', 0)] } });
    const plan = buildCounterPlan([], [stage, hot]);
    expect([...plan.byKey.keys()].sort()).toEqual(['checkout_started', counterKey('order_completed', { paid: true })]);
    expect(plan.byKey.get(counterKey('order_completed', { paid: true }))).toMatchObject({ windowMs: 30 * DAY, maxCount: 2 });
  });

  it('a distinct tag adds a session record; two tags on the same record keep the larger max', () => {
    const plan = buildCounterPlan([], [depthTag, tagOf({ ...depthTag, name: 'wide_depth', max: 40 })]);
    expect([...plan.sessionsByKey.values()]).toEqual([{ key: depthKey, event: 'page_viewed', where: {}, property: 'path', gapMs: 30 * MINUTE, maxValues: 40 }]);
    expect(plan.sessionsByEvent.get('page_viewed')).toHaveLength(1);
  });

  it('keys can be read back for display', () => {
    expect(parseCounterKey(counterKey('page_viewed', { page: 'pricing', n: 1 }))).toEqual({ event: 'page_viewed', where: { n: 1, page: 'pricing' } });
    expect(parseCounterKey('odd|[name')).toEqual({ event: 'odd|[name', where: {} });
    expect(parseSessionKey(depthKey)).toEqual({ event: 'page_viewed', where: {}, property: 'path', gapMs: 30 * MINUTE });
  });
});

describe('distinct values in the current session', () => {
  const plan = buildCounterPlan([], [depthTag]);

  it('counts each value once while the pauses stay within the gap', () => {
    const state = replay(plan, [page('/', T0), page('/pricing', T0 + 10 * MINUTE), page('/', T0 + 20 * MINUTE), page('/docs', T0 + 50 * MINUTE)]);
    expect(depthAt(state, T0 + 50 * MINUTE)).toBe(3);
    expect(state.sessions?.[depthKey]).toEqual({ startedAt: T0, lastAt: T0 + 50 * MINUTE, values: ['/docs', '/', '/pricing'] });
  });

  it('a pause longer than the gap starts a new session', () => {
    const state = replay(plan, [page('/', T0), page('/pricing', T0 + MINUTE), page('/docs', T0 + 32 * MINUTE)]);
    expect(depthAt(state, T0 + 32 * MINUTE)).toBe(1);
  });

  it('is 0 once the session has ended, and the ended session is dropped from the state', () => {
    const state = replay(plan, [page('/', T0), page('/pricing', T0 + MINUTE)]);
    expect(depthAt(state, T0 + 31 * MINUTE)).toBe(2);
    expect(depthAt(state, T0 + 31 * MINUTE + 1)).toBe(0);
    const later = replay(plan, [identify({ plan: 'team' }, T0 + 2 * DAY)], state);
    expect(later.sessions).toBeUndefined();
  });

  it('a late event inside the session counts; one from an earlier session does not', () => {
    const state = replay(plan, [page('/a', T0), page('/b', T0 + 10 * MINUTE), page('/late', T0 - 5 * MINUTE), page('/old', T0 - 2 * DAY)]);
    expect(state.sessions?.[depthKey]).toMatchObject({ startedAt: T0 - 5 * MINUTE, values: ['/late', '/b', '/a'] });
  });

  it('stays bounded: 10,000 distinct pages in one session keep max values, and the count stops at max', () => {
    let state = emptyState('u1');
    for (let i = 0; i < 10_000; i++) state = applyEvent(state, page(`/p/${i}`, T0 + i * 1000), i + 1, plan);
    expect(state.sessions?.[depthKey]?.values).toEqual(['/p/9999', '/p/9998', '/p/9997', '/p/9996', '/p/9995']);
    expect(depthAt(state, state.clock)).toBe(5);
  });

  it('stores long values as a prefix and a hash, and skips values that are not text, numbers or booleans', () => {
    const long = `/search?q=${'x'.repeat(500)}`;
    expect(sessionValue(long)).toMatch(/^\/search\?q=x{70}…#[\w-]{12}$/);
    expect(sessionValue(long)).not.toBe(sessionValue(`${long}y`));
    expect(sessionValue(3)).toBe('3');
    expect(sessionValue({ nested: true })).toBeUndefined();
    const state = replay(plan, [page(undefined, T0), page(['a'], T0 + 1), page('/x', T0 + 2)]);
    expect(state.sessions?.[depthKey]?.values).toEqual(['/x']);
  });

  it('honours the tag\'s filter', () => {
    const filtered = tagOf({ ...depthTag, name: 'docs_depth', where: { category: 'docs' } }) as DistinctTag;
    const filteredPlan = buildCounterPlan([], [filtered]);
    const key = sessionKey({ ...filtered, gapMs: 30 * MINUTE });
    const state = replay(filteredPlan, [page('/a', T0, { category: 'docs' }), page('/b', T0 + 1, { category: 'blog' })]);
    expect(state.sessions?.[key]?.values).toEqual(['/a']);
  });

  it('a session no tag reads any more is dropped', () => {
    const state = replay(plan, [page('/', T0)]);
    expect(replay(buildCounterPlan([]), [page('/x', T0 + 1)], state).sessions).toBeUndefined();
  });
});

describe('traits with the time each was last set', () => {
  const plan = buildCounterPlan([]);

  it('identify records its time for every trait it sets (not for consent, which keeps its own times)', () => {
    const state = replay(plan, [identify({ email: 'a@example.com', plan: 'free' }, T0), identify({ plan: 'team', consent: { email: false } }, T0 + DAY)]);
    expect(state.traits).toEqual({ email: 'a@example.com', plan: 'team' });
    expect(state.traitsUpdatedAt).toEqual({ email: T0, plan: T0 + DAY });
  });

  it('group sets groupId and group', () => {
    const group: EventEnvelope = { type: 'group', userId: 'u1', groupId: 'acme', traits: { name: 'Acme' }, messageId: 'g1', timestamp: new Date(T0).toISOString(), context: {} };
    expect(replay(plan, [group]).traitsUpdatedAt).toEqual({ groupId: T0, group: T0 });
  });
});

describe('identifiers', () => {
  const plan = buildCounterPlan([]);

  it('records the userId and the anonymousIds the events carried, most recent first', () => {
    const state = replay(plan, [identify({}, T0, { userId: 'u1', anonymousId: 'device-a' }), identify({}, T0 + 1, { userId: 'u1', anonymousId: 'device-b' }), identify({}, T0 + 2, { userId: 'u1', anonymousId: 'device-a' })]);
    expect(state.identifiers).toEqual({ userId: 'u1', anonymousIds: ['device-a', 'device-b'] });
  });

  it('a profile kept under an anonymousId has no userId', () => {
    expect(replay(plan, [identify({}, T0, { anonymousId: 'device-a' })], emptyState('device-a')).identifiers).toEqual({ anonymousIds: ['device-a'] });
  });

  it(`keeps at most ${MAX_ANONYMOUS_IDS} anonymousIds`, () => {
    const events = Array.from({ length: 50 }, (_, i) => identify({}, T0 + i, { userId: 'u1', anonymousId: `device-${i}` }));
    const ids = replay(plan, events).identifiers?.anonymousIds ?? [];
    expect(ids).toHaveLength(MAX_ANONYMOUS_IDS);
    expect(ids[0]).toBe('device-49');
  });
});
