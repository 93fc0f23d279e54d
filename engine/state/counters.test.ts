/**
 * Counting without copying: applyEvent shares what an event does not change and never changes the
 * state it was given, and the fast paths (countersFor's index, pruneCounter's "nothing to drop",
 * a settled state's counter maps) give exactly what the straightforward computation gives.
 */
import { describe, expect, it } from 'vitest';
import { countOf, ruleOf, sinceLast } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { mulberry32 } from '../../benchmarks/bench-support';
import { applyEvent, emptyState, type UserState } from './behavior-state';
import { buildCounterPlan, counterKey, countersFor, matchesFilter, type CounterSpec } from './counter-plan';
import { pruneCounter } from './counters';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const DAY = 86_400_000;
const PAGES = ['pricing', 'docs', 'home', 'blog'];

const plan = buildCounterPlan([
  ruleOf({
    id: 'r',
    trigger: {
      event: 'page_viewed',
      conditions: {
        all: [
          countOf('page_viewed', '7d', 'greaterThanInclusive', 3),
          ...PAGES.map((page) => countOf('page_viewed', '3d', 'greaterThanInclusive', 2, { page })),
          countOf('page_viewed', '1d', 'equal', 1, { page: 'pricing', plan: 'team' }),
          countOf('page_viewed', '1d', 'equal', 1, { plan: 'team' }),
          countOf('page_viewed', '1d', 'equal', 1, { n: 1 }),
          countOf('order_completed', '14d', 'equal', 0),
          sinceLast('signed_up', 'greaterThan', 60),
        ],
      },
    },
  }),
]);

const track = (event: string, at: number, properties: Record<string, unknown>, messageId: string): EventEnvelope =>
  ({ type: 'track', event, userId: 'u1', messageId, timestamp: new Date(at).toISOString(), properties, context: {} });

function randomEvents(seed: number, n: number): EventEnvelope[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    // mostly forward in time, sometimes late; repeated messageIds now and then
    const at = T0 + i * 3_600_000 - (random() < 0.2 ? Math.floor(random() * 4 * DAY) : 0);
    const name = ['page_viewed', 'page_viewed', 'order_completed', 'signed_up'][Math.floor(random() * 4)]!;
    const properties = { page: PAGES[Math.floor(random() * PAGES.length)], ...(random() < 0.3 ? { plan: 'team' } : {}), ...(random() < 0.2 ? { n: random() < 0.5 ? 1 : '1' } : {}) };
    return track(name, at, properties, random() < 0.1 ? 'repeated' : `m${i}`);
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe('countersFor', () => {
  it('finds exactly the specs whose filter the event matches, in the plan\'s order', () => {
    const random = mulberry32(3);
    for (let i = 0; i < 500; i++) {
      const properties = { page: PAGES[Math.floor(random() * 5)], ...(random() < 0.5 ? { plan: random() < 0.5 ? 'team' : 'free' } : {}), ...(random() < 0.3 ? { n: random() < 0.5 ? 1 : '1' } : {}) };
      const expected = (plan.byEvent.get('page_viewed') ?? []).filter((spec: CounterSpec) => matchesFilter(properties, spec.where));
      expect(countersFor(plan, 'page_viewed', properties)).toEqual(expected);
    }
    expect(countersFor(plan, 'never_counted', {})).toEqual([]);
  });
});

describe('applyEvent shares what does not change', () => {
  it('never changes the state it is given (every state along the way is frozen)', () => {
    let state: UserState = deepFreeze(emptyState('u1'));
    for (const [i, event] of randomEvents(11, 300).entries()) state = deepFreeze(applyEvent(state, event, i + 1, plan));
    expect(state.counters[counterKey('page_viewed')]!.length).toBeGreaterThan(0);
  });

  it('keeps the counter arrays an event does not touch, and the maps when nothing changes', () => {
    const events = randomEvents(5, 40).filter((e) => e.type === 'track' && e.event === 'page_viewed');
    const before = events.reduce((s, e, i) => applyEvent(s, e, i + 1, plan), emptyState('u1'));
    const later = { ...track('order_completed', before.clock, {}, 'o1') };
    const after = applyEvent(before, later, 1000, plan);
    expect(after.counters[counterKey('page_viewed', { page: 'docs' })]).toBe(before.counters[counterKey('page_viewed', { page: 'docs' })]);
    const identify: EventEnvelope = { type: 'identify', userId: 'u1', messageId: 'i1', timestamp: new Date(after.clock).toISOString(), traits: { plan: 'team' }, context: {} };
    const same = applyEvent(after, identify, 1001, plan);
    expect(same.counters).toBe(after.counters);
    expect(same.counterIds).toBe(after.counterIds);
    expect(same.recent).toBe(after.recent);
  });
});

describe('pruneCounter', () => {
  /** The definition: keep index i when i < max(maxCount, keepLatest) and (i < keepLatest or inside the window). */
  const reference = (timestamps: number[], ids: (string | null | undefined)[], spec: CounterSpec, clock: number): [number[], string[]] => {
    const keep = Math.max(spec.maxCount, spec.keepLatest);
    const kept = timestamps.flatMap((t, i) => (i < keep && (i < spec.keepLatest || t > clock - spec.windowMs) ? [i] : []));
    return [kept.map((i) => timestamps[i]!), kept.map((i) => ids[i] ?? '')];
  };

  it('gives what the definition gives, and the same arrays when nothing is dropped', () => {
    const random = mulberry32(9);
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 6);
      const timestamps = Array.from({ length }, (_, j) => T0 - j * Math.floor(random() * DAY));
      const ids = Array.from({ length: random() < 0.1 ? length + 1 : length }, (_, j) => (random() < 0.05 ? null : `m${j}`)) as string[];
      const spec: CounterSpec = { key: 'k', event: 'e', where: {}, windowMs: Math.floor(random() * 3 * DAY) + 1, maxCount: Math.floor(random() * 5), keepLatest: random() < 0.3 ? 2 : 0 };
      const clock = T0 + Math.floor(random() * DAY);
      const [kept, keptIds] = pruneCounter(timestamps, ids, spec, clock);
      expect([kept, keptIds]).toEqual(reference(timestamps, ids, spec, clock));
      if (kept.length === timestamps.length && ids.length === length && ids.every((id) => typeof id === 'string')) expect(kept).toBe(timestamps);
    }
  });
});
