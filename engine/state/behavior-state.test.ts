/**
 * A user's behavior state: exact sliding windows, property filters, state bounded by what the rules
 * can ask, pruning by the user's own clock, late events, traits and redelivery bookkeeping; the
 * messageId beside each counted timestamp and the recent trigger events (both for identity merges).
 */
import { describe, expect, it } from 'vitest';
import { countOf, ruleOf, sinceLast } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { applyEvent, counterIdsOf, countWithin, emptyState, MAX_RECENT, secondsSinceLast, type UserState } from './behavior-state';
import { buildCounterPlan, counterKey, type CounterPlan } from './counter-plan';
import type { ConditionLeaf } from '../../rules/schema/conditions';

const T0 = Date.parse('2025-05-01T12:00:00.000Z');
const SECOND = 1000;
const DAY = 86_400_000;

/** A plan for rules whose trigger conditions are these leaves (one rule per leaf). */
const planFor = (...leaves: ConditionLeaf[]): CounterPlan =>
  buildCounterPlan(leaves.map((leaf, i) => ruleOf({ id: `rule-${i}`, trigger: { event: 'anything', conditions: { all: [leaf] } } })));

const track = (event: string, at: number, properties: Record<string, unknown> = {}, messageId = `${event}-${at}`): EventEnvelope =>
  ({ type: 'track', event, userId: 'u1', messageId, timestamp: new Date(at).toISOString(), properties, context: {} });
const identify = (traits: Record<string, unknown>, at: number): EventEnvelope =>
  ({ type: 'identify', userId: 'u1', messageId: `identify-${at}`, timestamp: new Date(at).toISOString(), traits, context: {} });

/** Applies events in the given order with increasing sequence numbers. */
function replay(plan: CounterPlan, events: EventEnvelope[], state: UserState = emptyState('u1')): UserState {
  return events.reduce((s, event, i) => applyEvent(s, event, s.lastSeq + i + 1, plan), state);
}

describe('sliding windows are exact to the millisecond: (now - window, now]', () => {
  const plan = planFor(countOf('page_viewed', '7d', 'greaterThanInclusive', 3));
  const key = counterKey('page_viewed');

  it.each([
    ['exactly 7 days old does not count', T0 - 7 * DAY, 0],
    ['1 ms younger than 7 days counts', T0 - 7 * DAY + 1, 1],
    ['at now counts', T0, 1],
    ['1 ms after now does not count', T0 + 1, 0],
  ])('an event %s', (_name, at, expected) => {
    const state = replay(plan, [track('page_viewed', at)]);
    expect(countWithin(state, key, 7 * DAY, T0)).toBe(expected);
  });

  it('counts only the events inside the window ending at now', () => {
    const state = replay(plan, [track('page_viewed', T0 - 8 * DAY), track('page_viewed', T0 - 3 * DAY), track('page_viewed', T0 - 1 * DAY)]);
    expect(countWithin(state, key, 7 * DAY, T0)).toBe(2);
    expect(countWithin(state, key, 2 * DAY, T0)).toBe(1);
    expect(countWithin(state, key, 7 * DAY, T0 - 2 * DAY)).toBe(1);
  });
});

describe('property filters (`where`)', () => {
  const plan = planFor(countOf('page_viewed', '7d', 'greaterThanInclusive', 3, { page: 'pricing' }), countOf('page_viewed', '7d', 'lessThan', 10));

  it('a filtered counter counts only events whose properties equal every filter value', () => {
    const state = replay(plan, [
      track('page_viewed', T0 - 3000, { page: 'pricing' }),
      track('page_viewed', T0 - 2000, { page: 'docs' }),
      track('page_viewed', T0 - 1000, { page: 'pricing', plan: 'team' }),
      track('page_viewed', T0, { page: 'Pricing' }),
    ]);
    expect(countWithin(state, counterKey('page_viewed', { page: 'pricing' }), 7 * DAY, T0)).toBe(2);
    expect(countWithin(state, counterKey('page_viewed'), 7 * DAY, T0)).toBe(4);
  });

  it('other event names are not counted', () => {
    const state = replay(plan, [track('order_completed', T0, { page: 'pricing' })]);
    expect(state.counters).toEqual({});
  });
});

describe('state is bounded by the plan, not by the number of events', () => {
  it('10,000 matching events for a rule needing count >= 3 in 7d never hold more than 4 timestamps', () => {
    const plan = planFor(countOf('page_viewed', '7d', 'greaterThanInclusive', 3));
    const key = counterKey('page_viewed');
    let state = emptyState('u1');
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      state = applyEvent(state, track('page_viewed', T0 + i * SECOND), i + 1, plan);
      largest = Math.max(largest, state.counters[key]!.length);
    }
    expect(largest).toBe(4);
    expect(state.counters[key]).toEqual([T0 + 9999 * SECOND, T0 + 9998 * SECOND, T0 + 9997 * SECOND, T0 + 9996 * SECOND]);
    expect(state.counterIds?.[key]).toEqual([9999, 9998, 9997, 9996].map((i) => `page_viewed-${T0 + i * SECOND}`));
    expect(countWithin(state, key, 7 * DAY, state.clock)).toBe(4);
  });

  it('a counter no rule uses any more is dropped on the next event', () => {
    const plan = planFor(countOf('page_viewed', '7d', 'greaterThanInclusive', 3));
    const stale: UserState = { ...emptyState('u1'), counters: { retired_event: [T0 - 1000], [counterKey('page_viewed')]: [T0 - 1000] } };
    const state = applyEvent(stale, identify({ plan: 'team' }, T0), 1, plan);
    expect(Object.keys(state.counters)).toEqual([counterKey('page_viewed')]);
    expect(Object.keys(state.counterIds ?? {})).toEqual([counterKey('page_viewed')]);
  });

  it('timestamps are pruned by the user\'s clock (the newest timestamp seen), not by wall time', () => {
    const plan = planFor(countOf('page_viewed', '1d', 'greaterThanInclusive', 3));
    const key = counterKey('page_viewed');
    const state = replay(plan, [track('page_viewed', T0 - 2 * DAY), track('page_viewed', T0 - DAY + 1), track('page_viewed', T0)]);
    expect(state.clock).toBe(T0);
    expect(state.counters[key]).toEqual([T0, T0 - DAY + 1]);
  });

  it('an identify event moves the clock too, pruning what falls out of the window', () => {
    const plan = planFor(countOf('page_viewed', '1d', 'greaterThanInclusive', 3));
    const state = replay(plan, [track('page_viewed', T0), identify({}, T0 + DAY)]);
    expect(state.clock).toBe(T0 + DAY);
    expect(state.counters[counterKey('page_viewed')]).toEqual([]);
  });

  it('the clock never goes back for a late event', () => {
    const plan = planFor(countOf('page_viewed', '7d', 'greaterThanInclusive', 3));
    const state = replay(plan, [track('page_viewed', T0), track('page_viewed', T0 - DAY)]);
    expect(state.clock).toBe(T0);
  });
});

describe('late events', () => {
  const plan = planFor(countOf('page_viewed', '7d', 'greaterThanInclusive', 5));
  const key = counterKey('page_viewed');

  it('are inserted in time order (newest first)', () => {
    const state = replay(plan, [track('page_viewed', T0), track('page_viewed', T0 - 3000), track('page_viewed', T0 - 1000), track('page_viewed', T0 - 2000)]);
    expect(state.counters[key]).toEqual([T0, T0 - 1000, T0 - 2000, T0 - 3000]);
  });

  it('a late event already outside the window is not kept', () => {
    const state = replay(plan, [track('page_viewed', T0), track('page_viewed', T0 - 7 * DAY)]);
    expect(state.counters[key]).toEqual([T0]);
  });
});

describe('identify and sequence bookkeeping', () => {
  const plan = planFor(countOf('page_viewed', '7d', 'equal', 0));

  it('identify merges traits: new keys are added, existing keys overwritten, others kept', () => {
    const state = replay(plan, [identify({ email: 'a@example.com', plan: 'free' }, T0), identify({ plan: 'team', phone: '+14155550100' }, T0 + 1)]);
    expect(state.traits).toEqual({ email: 'a@example.com', plan: 'team', phone: '+14155550100' });
  });

  it('lastSeq only grows', () => {
    let state = applyEvent(emptyState('u1'), track('page_viewed', T0), 7, plan);
    expect(state.lastSeq).toBe(7);
    state = applyEvent(state, track('page_viewed', T0 + 1), 3, plan);
    expect(state.lastSeq).toBe(7);
    state = applyEvent(state, track('page_viewed', T0 + 2), 9, plan);
    expect(state.lastSeq).toBe(9);
  });

  it('applying an event leaves the previous state untouched', () => {
    const before = replay(plan, [track('page_viewed', T0)]);
    const snapshot = structuredClone(before);
    applyEvent(before, track('page_viewed', T0 + 1), 2, plan);
    applyEvent(before, identify({ plan: 'team' }, T0 + 1), 2, plan);
    expect(before).toEqual(snapshot);
  });
});

describe('secondsSinceLast', () => {
  const plan = planFor(sinceLast('page_viewed', 'lessThan', 60));
  const key = counterKey('page_viewed');

  it('is the time from the previous occurrence strictly before the evaluated event to now', () => {
    const state = replay(plan, [track('page_viewed', T0 - 90 * SECOND), track('page_viewed', T0)]);
    expect(secondsSinceLast(state, key, T0, T0)).toBe(90);
    expect(secondsSinceLast(state, key, T0, T0 + 10 * SECOND)).toBe(100);
  });

  it('an occurrence at the same millisecond as the evaluated event is not "before" it', () => {
    const state = replay(plan, [track('page_viewed', T0), track('page_viewed', T0)]);
    expect(secondsSinceLast(state, key, T0, T0)).toBeNull();
  });

  it('is null when the event never happened before', () => {
    const state = replay(plan, [track('page_viewed', T0)]);
    expect(secondsSinceLast(state, key, T0, T0)).toBeNull();
    expect(secondsSinceLast(emptyState('u1'), key, T0, T0)).toBeNull();
  });

  it('keeps the current and the previous occurrence however old they are', () => {
    const state = replay(plan, [track('page_viewed', T0 - 300 * DAY), track('page_viewed', T0 - 200 * DAY), track('page_viewed', T0)]);
    expect(state.counters[key]).toEqual([T0, T0 - 200 * DAY]);
    expect(secondsSinceLast(state, key, T0, T0)).toBe((200 * DAY) / 1000);
  });
});

describe('each counted timestamp keeps the messageId it came from', () => {
  const plan = planFor(countOf('page_viewed', '1d', 'greaterThanInclusive', 2));
  const key = counterKey('page_viewed');

  it('index by index, through late inserts and pruning', () => {
    const state = replay(plan, [track('page_viewed', T0, {}, 'a'), track('page_viewed', T0 - 2000, {}, 'b'), track('page_viewed', T0 - 1000, {}, 'c'), track('page_viewed', T0 + 1, {}, 'd')]);
    expect(state.counters[key]).toEqual([T0 + 1, T0, T0 - 1000]);
    expect(state.counterIds?.[key]).toEqual(['d', 'a', 'c']);
  });

  // Stored states are aligned when read (state-version.test.ts); these are states built in code.
  it('a counter without its ids keeps working, its old entries with unknown ids', () => {
    const old: UserState = { ...emptyState('u1'), clock: T0, counters: { [key]: [T0, T0 - 2000] } };
    const state = applyEvent(old, track('page_viewed', T0 - 1000, {}, 'new'), 1, plan);
    expect(state.counters[key]).toEqual([T0, T0 - 1000, T0 - 2000]);
    expect(state.counterIds?.[key]).toEqual(['', 'new', '']);
    expect(countWithin(state, key, DAY, T0)).toBe(3);
  });

  it('misaligned ids are rebuilt as unknown rather than paired with the wrong timestamps', () => {
    const broken: UserState = { ...emptyState('u1'), clock: T0, counters: { [key]: [T0, T0 - 2000] }, counterIds: { [key]: ['x'] } };
    expect(counterIdsOf(broken, key)).toEqual(['', '']);
    expect(applyEvent(broken, track('page_viewed', T0 + 1, {}, 'y'), 1, plan).counterIds?.[key]).toEqual(['y', '', '']);
  });

  it('a state without counters has no counter ids', () => {
    expect(replay(plan, [identify({ plan: 'team' }, T0)]).counterIds).toEqual({});
  });
});

describe('recent trigger events', () => {
  const plan = buildCounterPlan([
    ruleOf({ id: 'cart', trigger: { event: 'cart_abandoned' } }),
    ruleOf({ id: 'pricing', trigger: { event: 'page_viewed' } }),
    ruleOf({ id: 'off', enabled: false, trigger: { event: 'signed_up' } }),
  ]);

  it(`keeps the newest ${MAX_RECENT} per trigger event name, newest first by event time`, () => {
    const times = [T0, T0 + 5, T0 + 1, T0 + 3, T0 - 10, T0 + 4, T0 + 2];
    const state = replay(plan, times.map((at) => track('cart_abandoned', at, { cart: at })));
    expect(state.recent?.cart_abandoned?.map((e) => Date.parse(e.timestamp))).toEqual([T0 + 5, T0 + 4, T0 + 3, T0 + 2, T0 + 1]);
    expect(state.recent?.cart_abandoned?.[0]).toEqual({ messageId: `cart_abandoned-${T0 + 5}`, event: 'cart_abandoned', timestamp: new Date(T0 + 5).toISOString(), properties: { cart: T0 + 5 } });
  });

  it('never holds one messageId twice', () => {
    const state = replay(plan, [track('cart_abandoned', T0, {}, 'm1'), track('cart_abandoned', T0, {}, 'm1')]);
    expect(state.recent?.cart_abandoned).toHaveLength(1);
  });

  it('keeps page events under their behavior name, as rules trigger on them', () => {
    const pageEvent: EventEnvelope = { type: 'page', name: 'Pricing', userId: 'u1', messageId: 'p1', timestamp: new Date(T0).toISOString(), properties: { url: 'https://x.test/pricing' }, context: {} };
    const state = replay(plan, [pageEvent]);
    expect(state.recent?.page_viewed).toEqual([{ messageId: 'p1', event: 'page_viewed', timestamp: new Date(T0).toISOString(), properties: { url: 'https://x.test/pricing', name: 'Pricing', path: '/pricing' } }]);
  });

  it('ignores events no enabled rule triggers on, and drops names that stopped being triggers', () => {
    const state = replay(plan, [track('signed_up', T0), track('order_completed', T0)]);
    expect(state.recent).toBeUndefined();
    const stale: UserState = { ...emptyState('u1'), recent: { retired: [{ messageId: 'r', event: 'retired', timestamp: new Date(T0).toISOString(), properties: {} }] } };
    expect(applyEvent(stale, track('cart_abandoned', T0), 1, plan).recent).toEqual({ cart_abandoned: [expect.objectContaining({ messageId: `cart_abandoned-${T0}` })] });
  });
});
