/**
 * Counters under allowed lateness: a late event lands in its place by time, and counting as of a time
 * up to the lateness before the user's clock (a journey's trigger re-check) gives what it gave then
 * plus the late events — pruning keeps what that needs, and no more than a bound.
 */
import { describe, expect, it } from 'vitest';
import { countOf, ruleOf, sinceLast } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { applyEvent, counterIdsOf, countWithin, emptyState, secondsSinceLast, type UserState } from './behavior-state';
import { buildCounterPlan, counterKey, type CounterPlan } from './counter-plan';
import { MAX_LATE_ENTRIES, pruneCounter } from './counters';
import type { CounterSpec } from './counter-plan';
import { mulberry32 } from '../../benchmarks/bench-support';
import { planWithLateness } from './lateness';
import type { TopLevelCondition } from '../../rules/schema/conditions';

const T = Date.parse('2025-05-01T12:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const track = (event: string, at: number, messageId = `${event}-${at}`): EventEnvelope =>
  ({ type: 'track', event, userId: 'u1', messageId, timestamp: new Date(at).toISOString(), properties: {}, context: {} });
const replay = (plan: CounterPlan, events: EventEnvelope[]): UserState => events.reduce((s, e, i) => applyEvent(s, e, i + 1, plan), emptyState('u1'));

const FLAGSHIP: TopLevelCondition = { all: [countOf('page_viewed', '1h', 'greaterThanInclusive', 3), countOf('order_completed', '7d', 'equal', 0)] };
const planOf = (allowedLateness?: string | false, globalMs = 0) =>
  buildCounterPlan([ruleOf({ trigger: { event: 'page_viewed', conditions: FLAGSHIP }, ...(allowedLateness !== undefined ? { allowedLateness } : {}) })], [], { allowedLatenessMs: globalMs });
const views = counterKey('page_viewed');
const orders = counterKey('order_completed');

describe('a late event in the counters', () => {
  it('goes in by its time, with its messageId beside it, whatever order it arrived in', () => {
    const state = replay(planOf('2m'), [track('page_viewed', T - 20 * MINUTE, 'v1'), track('page_viewed', T, 'v3'), track('page_viewed', T - 10 * MINUTE, 'v2')]);
    expect(state.counters[views]).toEqual([T, T - 10 * MINUTE, T - 20 * MINUTE]);
    expect(counterIdsOf(state, views)).toEqual(['v3', 'v2', 'v1']);
    expect(state.clock).toBe(T); // the user's clock never goes back
  });

  it('counts as of an earlier time: only events at or before it, late ones included', () => {
    const state = replay(planOf('2m'), [track('page_viewed', T), track('order_completed', T + MINUTE), track('order_completed', T - 5 * MINUTE)]);
    expect(countWithin(state, orders, 7 * 24 * HOUR, T)).toBe(1); // the late one; the later one does not count as of T
    expect(secondsSinceLast(state, orders, T, T)).toBe(300);
  });
});

describe('pruning keeps what counting as of (clock - lateness) needs', () => {
  // Views at T-59m, T-30m and T (the trigger); a view at T+90s moves the clock on before the re-check.
  const events = [track('page_viewed', T - 59 * MINUTE), track('page_viewed', T - 30 * MINUTE), track('page_viewed', T), track('page_viewed', T + 90_000)];

  it('an entry that left the window at the clock but is inside it as of the trigger stays', () => {
    expect(countWithin(replay(planOf('2m'), events), views, HOUR, T)).toBe(3);
    // (without lateness it is pruned: the re-check would wrongly see 2)
    expect(countWithin(replay(planOf(), events), views, HOUR, T)).toBe(2);
  });

  it('a late entry behind newer ones beyond the usual bound stays (count = 0 keeps one order)', () => {
    const orderEvents = [track('page_viewed', T), track('order_completed', T + MINUTE), track('order_completed', T - 5 * MINUTE)];
    expect(replay(planOf('2m'), orderEvents).counters[orders]).toEqual([T + MINUTE, T - 5 * MINUTE]);
    expect(replay(planOf(), orderEvents).counters[orders]).toEqual([T + MINUTE]);
  });

  it('keeps at most MAX_LATE_ENTRIES more than the usual bound inside the lateness', () => {
    const burst = Array.from({ length: MAX_LATE_ENTRIES + 50 }, (_, i) => track('order_completed', T + i, `o${i}`));
    const kept = replay(planOf('2m'), burst).counters[orders]!;
    expect(kept).toHaveLength(MAX_LATE_ENTRIES + 1); // the counter's own bound (value 0 + 1) plus the lateness allowance
    expect(kept[0]).toBe(T + MAX_LATE_ENTRIES + 49); // newest first
  });

  it('secondsSinceLast as of the trigger finds the occurrence before it, with newer ones after it', () => {
    const plan = buildCounterPlan([ruleOf({ trigger: { event: 'page_viewed', conditions: { all: [sinceLast('signed_up', 'greaterThan', 60)] } }, allowedLateness: '5m' })]);
    const state = replay(plan, [track('signed_up', T - HOUR), track('signed_up', T + MINUTE), track('signed_up', T + 2 * MINUTE), track('signed_up', T + 3 * MINUTE)]);
    expect(secondsSinceLast(state, counterKey('signed_up'), T, T)).toBe(3600);
  });
});

describe('pruneCounter with lateness', () => {
  it('as of any time within the lateness, counts (up to what rules can tell apart) and the previous occurrence are those of the unpruned counter', () => {
    const random = mulberry32(17);
    for (let i = 0; i < 3000; i++) {
      const windowMs = Math.floor(random() * 3 * HOUR) + 1;
      const spec: CounterSpec = { key: 'k', event: 'e', where: {}, windowMs, maxCount: Math.floor(random() * 4), keepLatest: random() < 0.4 ? 2 : 0, latenessMs: Math.floor(random() * HOUR) + 1 };
      const timestamps: number[] = [];
      for (let j = 0, t = T; j < Math.floor(random() * 9); j++, t -= Math.floor(random() * HOUR)) timestamps.push(t);
      const clock = T + Math.floor(random() * 10 * MINUTE);
      const [kept] = pruneCounter(timestamps, timestamps.map((_, j) => `m${j}`), spec, clock);
      for (let k = 0; k < 5; k++) {
        const asOf = clock - Math.floor(random() * (spec.latenessMs! + 1));
        const count = (list: number[]) => Math.min(list.filter((t) => t <= asOf && t > asOf - windowMs).length, spec.maxCount);
        expect(count(kept)).toBe(count(timestamps));
        if (spec.keepLatest) expect(kept.find((t) => t < asOf)).toBe(timestamps.find((t) => t < asOf));
      }
    }
  });
});

describe('the plan and the global setting', () => {
  it('NUDGE_ALLOWED_LATENESS applies to rules that set none; a rule\'s own value or false wins', () => {
    expect(planOf(undefined, 2 * MINUTE).byKey.get(views)?.latenessMs).toBe(2 * MINUTE);
    expect(planOf('5m', 2 * MINUTE).byKey.get(views)?.latenessMs).toBe(5 * MINUTE);
    expect(planOf(false, 2 * MINUTE).byKey.get(views)?.latenessMs).toBeUndefined();
    expect(planOf().byKey.get(views)?.latenessMs).toBeUndefined();
  });

  it('planWithLateness adjusts a plan built from the rules to the setting, once, and leaves it alone at 0', () => {
    const plan = planOf();
    expect(planWithLateness(plan, 0)).toBe(plan);
    const adjusted = planWithLateness(plan, 2 * MINUTE);
    expect(adjusted.byKey.get(views)?.latenessMs).toBe(2 * MINUTE);
    expect(adjusted.byEvent.get('page_viewed')).toEqual([adjusted.byKey.get(views)]);
    expect(planWithLateness(plan, 2 * MINUTE)).toBe(adjusted);
    const own = planOf(false);
    expect(planWithLateness(own, 2 * MINUTE)).toBe(own); // no rule uses the global setting
  });
});
