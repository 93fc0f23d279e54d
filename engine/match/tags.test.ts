/**
 * Tag values as a pure function of (tag definitions, state, now): count in a sliding window, distinct
 * values in the current session, the furthest stage, a condition over other tags; and the `tags` fact
 * in rule conditions, which computes only the tags it reads.
 */
import { describe, expect, it } from 'vitest';
import { countOf, ruleOf, sinceLast, tagIs, tagOf } from '../../test/support/unit-rules';
import { loadTags } from '../../rules/load-tags';
import type { EventEnvelope } from '../events/envelope';
import { applyEvent, emptyState, type UserState } from '../state/behavior-state';
import { buildCounterPlan } from '../state/counter-plan';
import { ConditionEvaluator } from './evaluate-conditions';
import { computeTags, TagSet } from './tags';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;

const track = (event: string, at: number, properties: Record<string, unknown> = {}): EventEnvelope =>
  ({ type: 'track', event, userId: 'u1', messageId: `${event}-${at}-${JSON.stringify(properties)}`, timestamp: new Date(at).toISOString(), properties, context: {} });
const page = (path: string, at: number, extra: Record<string, unknown> = {}) => track('page_viewed', at, { path, ...extra });

/** The state after these events, kept as the engine keeps it for these tags (and rules). */
function stateFor(tags: TagSet, events: EventEnvelope[], rules = [ruleOf()]): UserState {
  const plan = buildCounterPlan(rules, [...tags.tags]);
  return events.reduce((s, event, i) => applyEvent(s, event, i + 1, plan), emptyState('u1'));
}

describe('count', () => {
  const tags = new TagSet([tagOf({ name: 'visits_7d', kind: 'count', event: 'page_viewed', within: '7d', max: 3 }), tagOf({ name: 'pricing_7d', kind: 'count', event: 'page_viewed', where: { path: '/pricing' }, within: '7d' })]);

  it('counts the events in the window ending now, exact to the millisecond', async () => {
    const state = stateFor(tags, [page('/', T0 - 7 * DAY), page('/pricing', T0 - 7 * DAY + 1), page('/docs', T0)]);
    expect(await tags.compute(state, T0)).toEqual({ visits_7d: 2, pricing_7d: 1 });
    expect(await tags.compute(state, T0 + 1)).toEqual({ visits_7d: 1, pricing_7d: 0 });
  });

  it('stops at max', async () => {
    const state = stateFor(tags, [1, 2, 3, 4, 5].map((i) => page('/', T0 + i)));
    expect((await tags.compute(state, T0 + 5)).visits_7d).toBe(3);
  });
});

describe('distinct', () => {
  const tags = new TagSet([tagOf({ name: 'visit_depth', kind: 'distinct', event: 'page_viewed', property: 'path', sessionGap: '30m' })]);
  const visit = [page('/', T0), page('/pricing', T0 + 5 * MINUTE), page('/pricing', T0 + 6 * MINUTE), page('/customers', T0 + 20 * MINUTE)];

  it('is the number of distinct pages in the session current at now', async () => {
    const state = stateFor(tags, visit);
    expect(await tags.compute(state, T0 + 20 * MINUTE)).toEqual({ visit_depth: 3 });
    expect(await tags.compute(state, T0 + 50 * MINUTE)).toEqual({ visit_depth: 3 });
    expect(await tags.compute(state, T0 + 50 * MINUTE + 1)).toEqual({ visit_depth: 0 });
  });

  it('starts again after a pause longer than the gap', async () => {
    const state = stateFor(tags, [...visit, page('/docs', T0 + 2 * 60 * MINUTE), page('/', T0 + 2 * 60 * MINUTE + 1)]);
    expect(await tags.compute(state, state.clock)).toEqual({ visit_depth: 2 });
  });
});

describe('stages', () => {
  const funnel = tagOf({
    name: 'funnel_stage',
    kind: 'stages',
    stages: [
      { name: 'visited', conditions: { all: [countOf('page_viewed', '30d', 'greaterThanInclusive', 1)] } },
      { name: 'viewed_pricing', conditions: { all: [countOf('page_viewed', '30d', 'greaterThanInclusive', 1, { path: '/pricing' })] } },
      { name: 'started_checkout', conditions: { all: [countOf('checkout_started', '30d', 'greaterThanInclusive', 1)] } },
      { name: 'ordered', conditions: { all: [countOf('order_completed', '30d', 'greaterThanInclusive', 1)] } },
    ],
  });
  const tags = new TagSet([funnel]);

  it.each<[string, EventEnvelope[], string | null]>([
    ['no events', [], null],
    ['a visit', [page('/', T0)], 'visited'],
    ['a look at pricing', [page('/', T0), page('/pricing', T0 + 1)], 'viewed_pricing'],
    ['a checkout', [page('/pricing', T0), track('checkout_started', T0 + 1)], 'started_checkout'],
    ['an order without the earlier stages (the furthest stage wins, not the first run of stages)', [track('order_completed', T0)], 'ordered'],
  ])('%s: %s', async (_name, events, stage) => {
    expect(await tags.compute(stateFor(tags, events), T0 + MINUTE)).toEqual({ funnel_stage: stage });
  });

  it('falls back as the window passes', async () => {
    const state = stateFor(tags, [page('/pricing', T0), track('checkout_started', T0 + DAY)]);
    expect(await tags.compute(state, T0 + 30 * DAY + 1)).toEqual({ funnel_stage: 'started_checkout' });
    expect(await tags.compute(state, T0 + 31 * DAY)).toEqual({ funnel_stage: null });
  });
});

describe('condition', () => {
  const stage = tagOf({ name: 'stage', kind: 'stages', stages: [{ name: 'pricing', conditions: { all: [countOf('page_viewed', '7d', 'greaterThan', 0, { path: '/pricing' })] } }] });
  const visits = tagOf({ name: 'visits', kind: 'count', event: 'page_viewed', within: '7d' });
  // Files come in any order: the tag set computes what a tag reads first.
  const hot = tagOf({ name: 'hot', kind: 'condition', conditions: { all: [tagIs('stage', 'equal', 'pricing'), tagIs('visits', 'greaterThanInclusive', 3), { not: countOf('order_completed', '7d', 'greaterThan', 0) }] } });
  const tags = new TagSet([hot, stage, visits]);

  it('holds when the tags it reads and its own conditions do', async () => {
    const state = stateFor(tags, [page('/', T0), page('/features', T0 + 1), page('/pricing', T0 + 2)]);
    expect(await tags.compute(state, T0 + 2)).toEqual({ hot: true, stage: 'pricing', visits: 3 });
  });

  it('does not hold otherwise', async () => {
    expect((await tags.compute(stateFor(tags, [page('/', T0), page('/pricing', T0 + 1)]), T0 + 1)).hot).toBe(false);
    expect((await tags.compute(stateFor(tags, [page('/', T0), page('/a', T0 + 1), page('/pricing', T0 + 2), track('order_completed', T0 + 3)]), T0 + 3)).hot).toBe(false);
  });

  it('reads traits and secondsSinceLast up to and including now', async () => {
    const returning = tagOf({ name: 'returning_team', kind: 'condition', conditions: { all: [{ fact: 'traits', path: '$.plan', operator: 'equal', value: 'team' }, sinceLast('page_viewed', 'lessThan', 60)] } });
    const set = new TagSet([returning]);
    const state = { ...stateFor(set, [page('/', T0)]), traits: { plan: 'team' } };
    expect(await set.compute(state, T0 + 30_000)).toEqual({ returning_team: true });
    expect(await set.compute(state, T0 + 61_000)).toEqual({ returning_team: false });
  });

  it('valuesAt gives the same values synchronously', async () => {
    const state = stateFor(tags, [page('/', T0), page('/features', T0 + 1), page('/pricing', T0 + 2)]);
    expect(tags.valuesAt(state, T0 + 2)).toEqual(await tags.compute(state, T0 + 2));
    expect(tags.valuesAt(state, T0 + 2, Object.freeze(['hot']))).toEqual({ hot: true, stage: 'pricing', visits: 3 });
  });

  it('computes only the tags asked for and the tags they read', async () => {
    const state = stateFor(tags, [page('/pricing', T0)]);
    expect(await tags.compute(state, T0, ['stage'])).toEqual({ stage: 'pricing' });
    expect(Object.keys(await tags.compute(state, T0, ['hot'])).sort()).toEqual(['hot', 'stage', 'visits']);
  });
});

describe('the example tags (rules/tags)', () => {
  it('describe a visitor who looks around, checks pricing and starts checkout', async () => {
    const examples = loadTags([new URL('../../rules/tags', import.meta.url).pathname]).map((t) => t.tag);
    const tags = new TagSet(examples);
    const events = [page('/', T0), page('/features', T0 + MINUTE), track('page_viewed', T0 + 2 * MINUTE, { page: 'pricing', path: '/pricing' }), page('/customers', T0 + 3 * MINUTE)];
    expect(await computeTags(examples, stateFor(tags, events), T0 + 3 * MINUTE)).toEqual({ recent_visits_7d: 4, visit_depth: 4, funnel_stage: 'viewed_pricing', high_intent: true });
    const checkout = stateFor(tags, [...events, track('checkout_started', T0 + DAY)]);
    expect(await tags.compute(checkout, T0 + DAY)).toEqual({ recent_visits_7d: 4, visit_depth: 0, funnel_stage: 'started_checkout', high_intent: false });
  });
});

describe('the tags fact in conditions', () => {
  const tags = new TagSet([tagOf({ name: 'visits', kind: 'count', event: 'page_viewed', within: '7d' })]);
  const state = stateFor(tags, [page('/', T0), page('/a', T0 + 1)]);
  const ctx = { event: null, traits: {}, state, now: T0 + 1, before: T0 + 1 };

  it('compares a tag\'s value and reports it as the leaf\'s actual value', async () => {
    const outcome = await new ConditionEvaluator({ all: [tagIs('visits', 'greaterThanInclusive', 2)] }).evaluate({ ...ctx, tags });
    expect(outcome).toEqual({ passed: true, leaves: [expect.objectContaining({ fact: 'tags', path: '$.visits', actual: 2, passed: true })] });
  });

  it('without a tag set (or for a tag that does not exist) every comparison fails, notEqual included', async () => {
    for (const leaf of [tagIs('visits', 'equal', 2), tagIs('visits', 'notEqual', 5)]) expect((await new ConditionEvaluator({ all: [leaf] }).evaluate(ctx)).passed).toBe(false);
    expect((await new ConditionEvaluator({ all: [tagIs('other', 'notEqual', 5)] }).evaluate({ ...ctx, tags })).passed).toBe(false);
  });
});
