/**
 * Identity stitching: two people's states merged into one. Each half is built the way production
 * builds it (events through applyEvent); the merged state must answer rules as if one person had sent
 * every event once, stay within the plan's bounds, and report journeys both people were in.
 */
import { describe, expect, it } from 'vitest';
import { countOf, ruleOf, tagOf } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { applyEvent, countWithin, emptyState, MAX_ANONYMOUS_IDS, MAX_RECENT, type JourneyMarker, type UserState } from './behavior-state';
import { buildCounterPlan, counterKey, sessionKey, type CounterPlan } from './counter-plan';
import { hasAbsorbed, MAX_ABSORBED, mergeStates, tombstoneOf } from './merge-states';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const VIEWS = counterKey('page_viewed');

/** Rules: a view counter (count >= 3 in 7d keeps 4) and a trigger on cart_abandoned. */
const plan = buildCounterPlan([
  ruleOf({ id: 'views', trigger: { event: 'x', conditions: { all: [countOf('page_viewed', '7d', 'greaterThanInclusive', 3)] } } }),
  ruleOf({ id: 'cart', trigger: { event: 'cart_abandoned' } }),
]);

const track = (user: string, event: string, at: number, messageId = `${user}-${event}-${at}`): EventEnvelope =>
  ({ type: 'track', event, userId: user, messageId, timestamp: new Date(at).toISOString(), properties: {}, context: {} });
const identify = (user: string, traits: Record<string, unknown>, at: number): EventEnvelope =>
  ({ type: 'identify', userId: user, messageId: `${user}-identify-${at}`, timestamp: new Date(at).toISOString(), traits, context: {} });

function stateOf(user: string, events: EventEnvelope[], p: CounterPlan = plan): UserState {
  return events.reduce((s, event) => applyEvent(s, event, s.lastSeq + 1, p), emptyState(user));
}
const merged = (survivor: UserState, absorbed: UserState, p: CounterPlan = plan) => mergeStates(survivor, absorbed, p).state;

describe('counters', () => {
  it('an event seen through both ids counts once; different events at the same millisecond count twice', () => {
    const a = stateOf('alice', [track('alice', 'page_viewed', T0, 'shared'), track('alice', 'page_viewed', T0 - 1, 'a-only')]);
    const b = stateOf('anon', [track('anon', 'page_viewed', T0, 'shared'), track('anon', 'page_viewed', T0 - 1, 'b-only')]);
    const state = merged(a, b);
    expect(state.counters[VIEWS]).toEqual([T0, T0 - 1, T0 - 1]);
    expect(state.counterIds?.[VIEWS]).toEqual(['shared', 'a-only', 'b-only']);
    expect(countWithin(state, VIEWS, 7 * DAY, T0)).toBe(3);
  });

  it('windows span both halves: 2 views on one and 1 on the other within 7 days count 3', () => {
    const a = stateOf('alice', [track('alice', 'page_viewed', T0 - 6 * DAY), track('alice', 'page_viewed', T0 - DAY)]);
    const b = stateOf('anon', [track('anon', 'page_viewed', T0 - 3 * DAY), track('anon', 'page_viewed', T0 - 8 * DAY)]);
    const state = merged(a, b);
    expect(countWithin(state, VIEWS, 7 * DAY, T0)).toBe(3);
    expect(state.counters[VIEWS]).toEqual([T0 - DAY, T0 - 3 * DAY, T0 - 6 * DAY]);
  });

  it('are pruned to the plan: at most maxCount, inside the window ending at the merged clock, unused counters dropped', () => {
    const a = stateOf('alice', [0, 1, 2, 3].map((i) => track('alice', 'page_viewed', T0 - 6 * DAY + i)));
    const b = stateOf('anon', [track('anon', 'page_viewed', T0 - MINUTE), track('anon', 'page_viewed', T0 - 2 * MINUTE), identify('anon', {}, T0 + DAY)]);
    const stale = { ...b, counters: { ...b.counters, retired: [T0] }, counterIds: { ...b.counterIds, retired: ['r'] } };
    const state = merged(a, stale);
    expect(state.clock).toBe(T0 + DAY);
    // The merged clock (b's identify) pushes a's oldest views out of the 7-day window; the rest is capped at 4.
    expect(state.counters).toEqual({ [VIEWS]: [T0 - MINUTE, T0 - 2 * MINUTE, T0 - 6 * DAY + 3, T0 - 6 * DAY + 2] });
    expect(Object.keys(state.counterIds ?? {})).toEqual([VIEWS]);
    expect(state.counterIds?.[VIEWS]).toHaveLength(4);
  });

  it('counters without their ids (states built in code) merge with unknown ids, never deduplicated', () => {
    const old = (user: string): UserState => ({ ...emptyState(user), clock: T0, counters: { [VIEWS]: [T0] } });
    const state = merged(old('alice'), { ...old('anon'), counterIds: { [VIEWS]: ['x', 'misaligned'] } });
    expect(state.counters[VIEWS]).toEqual([T0, T0]);
    expect(state.counterIds?.[VIEWS]).toEqual(['', '']);
  });
});

describe('traits and consent: the later decision wins', () => {
  const a = stateOf('alice', [identify('alice', { email: 'a@work.test', plan: 'team' }, T0 + 10), identify('alice', { phone: '+1' }, T0)]);
  const b = stateOf('anon', [identify('anon', { email: 'a@home.test', plan: 'free', city: 'Oslo' }, T0 + 5), identify('anon', { phone: '+2' }, T0 + 20)]);

  it('per trait, by traitsUpdatedAt; a trait only one side has is kept', () => {
    const state = merged(a, b);
    expect(state.traits).toEqual({ email: 'a@work.test', plan: 'team', phone: '+2', city: 'Oslo' });
    expect(state.traitsUpdatedAt).toEqual({ email: T0 + 10, plan: T0 + 10, phone: T0 + 20, city: T0 + 5 });
  });

  it('a tie keeps the survivor\'s, a trait without a time counts as set at 0', () => {
    const tie = merged({ ...emptyState('alice'), traits: { plan: 'team' }, traitsUpdatedAt: { plan: T0 } }, { ...emptyState('anon'), traits: { plan: 'free' }, traitsUpdatedAt: { plan: T0 } });
    expect(tie.traits).toEqual({ plan: 'team' });
    const untimed = merged({ ...emptyState('alice'), traits: { plan: 'team' } }, { ...emptyState('anon'), traits: { plan: 'free' }, traitsUpdatedAt: { plan: 1 } });
    expect(untimed.traits).toEqual({ plan: 'free' });
    expect(untimed.traitsUpdatedAt).toEqual({ plan: 1 });
  });

  it('consent per channel and topic, by time; the survivor\'s on a tie', () => {
    const optOut = { granted: false, at: T0 + 1, source: 'sms_stop' };
    const grant = { granted: true, at: T0, source: 'identify' };
    const survivor = { ...emptyState('alice'), consent: { sms: { all: grant }, email: { promotions: { ...grant, at: T0 + 9 } } } };
    const absorbed = { ...emptyState('anon'), consent: { sms: { all: optOut }, email: { promotions: { ...optOut, at: T0 + 9 }, news: optOut } } };
    expect(merged(survivor, absorbed).consent).toEqual({ sms: { all: optOut }, email: { promotions: { ...grant, at: T0 + 9 }, news: optOut } });
  });
});

describe('journeys and entries', () => {
  const marker = (user: string, startedAt: number): JourneyMarker => ({ workflowId: `journey/cart/${user}/m`, ruleVersion: 1, startedAt, listens: [], endNotice: true });

  it('both in a journey of one rule: the earlier one is kept and the other reported', () => {
    const survivor = { ...emptyState('alice'), journeys: { cart: marker('alice', T0 + 1), only_a: marker('alice', T0) } };
    const absorbed = { ...emptyState('anon'), journeys: { cart: marker('anon', T0), only_b: marker('anon', T0) } };
    const result = mergeStates(survivor, absorbed, plan);
    expect(result.state.journeys).toEqual({ cart: marker('anon', T0), only_a: marker('alice', T0), only_b: marker('anon', T0) });
    expect(result.duplicateJourneys).toEqual([{ ruleId: 'cart', kept: marker('anon', T0), dropped: marker('alice', T0 + 1) }]);
  });

  it('started at the same time: the survivor\'s is kept', () => {
    const result = mergeStates({ ...emptyState('alice'), journeys: { cart: marker('alice', T0) } }, { ...emptyState('anon'), journeys: { cart: marker('anon', T0) } }, plan);
    expect(result.duplicateJourneys).toEqual([{ ruleId: 'cart', kept: marker('alice', T0), dropped: marker('anon', T0) }]);
  });

  it('entries add up; the later entry names the last journey', () => {
    const survivor = { ...emptyState('alice'), entries: { cart: { entries: 2, lastEnteredAt: T0, lastWorkflowId: 'wa' }, only_a: { entries: 1, lastEnteredAt: T0, lastWorkflowId: 'wx' } } };
    const absorbed = { ...emptyState('anon'), entries: { cart: { entries: 3, lastEnteredAt: T0 + 1, lastWorkflowId: 'wb' } } };
    expect(merged(survivor, absorbed).entries).toEqual({ cart: { entries: 5, lastEnteredAt: T0 + 1, lastWorkflowId: 'wb' }, only_a: survivor.entries.only_a });
  });
});

describe('recent trigger events', () => {
  it(`union per name, each messageId once, newest first, at most ${MAX_RECENT}`, () => {
    const a = stateOf('alice', [1, 3, 5].map((i) => track('alice', 'cart_abandoned', T0 + i)).concat(track('alice', 'cart_abandoned', T0 + 6, 'shared')));
    const b = stateOf('anon', [0, 2, 4].map((i) => track('anon', 'cart_abandoned', T0 + i)).concat(track('anon', 'cart_abandoned', T0 + 6, 'shared')));
    const recent = merged(a, b).recent?.cart_abandoned ?? [];
    expect(recent.map((e) => e.messageId)).toEqual(['shared', `alice-cart_abandoned-${T0 + 5}`, `anon-cart_abandoned-${T0 + 4}`, `alice-cart_abandoned-${T0 + 3}`, `anon-cart_abandoned-${T0 + 2}`]);
  });

  it('names no enabled rule triggers on any more are dropped', () => {
    const a = stateOf('alice', [track('alice', 'cart_abandoned', T0)]);
    expect(merged(a, emptyState('anon'), buildCounterPlan([])).recent).toBeUndefined();
  });
});

describe('sessions of distinct tags', () => {
  const tag = tagOf({ name: 'depth', kind: 'distinct', event: 'page_viewed', property: 'path', sessionGap: '30m', max: 5 });
  const tagPlan = buildCounterPlan([], [tag]);
  const key = sessionKey({ event: 'page_viewed', property: 'path', gapMs: 30 * MINUTE });
  const page = (user: string, path: string, at: number): EventEnvelope =>
    ({ type: 'page', userId: user, messageId: `${user}-${path}-${at}`, timestamp: new Date(at).toISOString(), properties: { path }, context: {} });

  it('the session with the later last event is kept, if it is current at the merged clock', () => {
    const a = stateOf('alice', [page('alice', '/a', T0)], tagPlan);
    const b = stateOf('anon', [page('anon', '/b', T0 + 10 * MINUTE), page('anon', '/c', T0 + 11 * MINUTE)], tagPlan);
    expect(merged(a, b, tagPlan).sessions?.[key]?.values).toEqual(['/c', '/b']);
    const late = stateOf('anon', [identify('anon', {}, T0 + 31 * MINUTE)], tagPlan);
    expect(merged(a, late, tagPlan).sessions).toBeUndefined();
  });
});

describe('identity bookkeeping', () => {
  const a = { ...stateOf('alice', [track('alice', 'page_viewed', T0)]), lastSeq: 40, identifiers: { userId: 'alice', anonymousIds: ['d1', 'd2'] }, absorbed: ['old-1'] };
  const b = { ...stateOf('anon', [track('anon', 'page_viewed', T0 + 5)]), lastSeq: 900, identifiers: { anonymousIds: ['d2', 'd3'] }, absorbed: ['old-2'], mergedInto: 'someone' };

  it('keeps the survivor\'s key and stream sequence, the later clock, and never marks the result merged', () => {
    const state = merged(a, b);
    expect(state).toMatchObject({ userKey: 'alice', lastSeq: 40, clock: T0 + 5 });
    expect(state.mergedInto).toBeUndefined();
  });

  it('identifiers: the survivor\'s userId, anonymous ids of both (survivor\'s first), capped', () => {
    expect(merged(a, b).identifiers).toEqual({ userId: 'alice', anonymousIds: ['d1', 'd2', 'd3'] });
    const many = { ...b, identifiers: { userId: 'anon-user', anonymousIds: Array.from({ length: 12 }, (_, i) => `x${i}`) } };
    const ids = merged({ ...a, identifiers: {} }, many).identifiers;
    expect(ids?.userId).toBe('anon-user');
    expect(ids?.anonymousIds).toHaveLength(MAX_ANONYMOUS_IDS);
  });

  it('absorbed: the survivor\'s, then the absorbed person and whom it had absorbed; oldest dropped past the cap', () => {
    const state = merged(a, b);
    expect(state.absorbed).toEqual(['old-1', 'anon', 'old-2']);
    expect(hasAbsorbed(state, 'old-2')).toBe(true);
    expect(hasAbsorbed(state, 'stranger')).toBe(false);
    const full = merged({ ...a, absorbed: Array.from({ length: MAX_ABSORBED }, (_, i) => `p${i}`) }, b).absorbed ?? [];
    expect(full).toHaveLength(MAX_ABSORBED);
    expect(full.slice(0, 1).concat(full.slice(-2))).toEqual(['p2', 'anon', 'old-2']);
  });

  it('outbox: the survivor\'s signals, then the absorbed person\'s', () => {
    const signal = (workflowId: string) => ({ ruleId: 'r', workflowId, event: { messageId: workflowId, event: 'e', timestamp: new Date(T0).toISOString(), properties: {} } });
    expect(merged({ ...a, outbox: [signal('wa')] }, { ...b, outbox: [signal('wb')] }).outbox).toEqual([signal('wa'), signal('wb')]);
  });

  it('leaves both inputs untouched', () => {
    const before = structuredClone([a, b]);
    merged(a, b);
    expect([a, b]).toEqual(before);
  });

  it('tombstoneOf keeps only what forwarding and redelivery need', () => {
    expect(tombstoneOf(b, 'alice')).toEqual({ v: 3, userKey: 'anon', lastSeq: 900, clock: T0 + 5, traits: {}, counters: {}, counterIds: {}, entries: {}, journeys: {}, consent: {}, traitsUpdatedAt: {}, sendHours: { at: 0, engaged: {}, active: {} }, mergedInto: 'alice', absorbed: ['old-2'] });
    expect(tombstoneOf(emptyState('x'), 'alice')).not.toHaveProperty('absorbed');
  });
});
