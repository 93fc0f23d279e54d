/**
 * The newest few trigger events per event name (`UserState.recent`), kept so rules can be evaluated
 * again on a merged person's state (merge-states.ts). Lists are newest first by event time, each
 * messageId once, at most MAX_RECENT long.
 */
import type { JourneyEvent } from '../../workflows/journey/machine';
import type { CounterPlan } from './counter-plan';

/** A kept trigger event, in the shape journeys receive events, so it can trigger a rule again as it is. */
export type RecentEvent = JourneyEvent;

/** Trigger events kept per name: enough to re-evaluate a rule after a merge, small enough to stay bounded. */
export const MAX_RECENT = 5;

/** Kept trigger events: `a` and `b` together, newest first (a first on ties), each messageId once, at most MAX_RECENT. */
export function mergeRecent(a: RecentEvent[], b: RecentEvent[]): RecentEvent[] {
  const seen = new Set<string>();
  return [...a, ...b]
    .map((event, order) => ({ event, at: timeOf(event), order }))
    .sort((x, y) => y.at - x.at || x.order - y.order)
    .filter(({ event }) => {
      if (seen.has(event.messageId)) return false;
      seen.add(event.messageId);
      return true;
    })
    .slice(0, MAX_RECENT)
    .map(({ event }) => event);
}

/**
 * mergeRecent(list, [event]), without sorting, for the one new event of applyEvent: a list as
 * mergeRecent leaves it takes the event after those not older than it. Any other list (unsorted,
 * repeated ids, too long, the event already in it) goes through mergeRecent itself.
 */
export function withRecent(list: RecentEvent[], event: RecentEvent): RecentEvent[] {
  const at = timeOf(event);
  if (list.length > MAX_RECENT || Number.isNaN(at)) return mergeRecent(list, [event]);
  let index = list.length;
  let previous = Infinity;
  for (let i = 0; i < list.length; i++) {
    const t = timeOf(list[i]!);
    if (!(t <= previous) || list[i]!.messageId === event.messageId) return mergeRecent(list, [event]); // unsorted (or NaN), or seen
    for (let j = 0; j < i; j++) if (list[j]!.messageId === list[i]!.messageId) return mergeRecent(list, [event]);
    if (t < at && index === list.length) index = i;
    previous = t;
  }
  if (index >= MAX_RECENT) return list; // older than every kept one: it falls off the end
  const merged = new Array<RecentEvent>(Math.min(list.length + 1, MAX_RECENT));
  for (let i = 0; i < merged.length; i++) merged[i] = i < index ? list[i]! : i === index ? event : list[i - 1]!;
  return merged;
}

/** Drops kept events of names no enabled rule triggers on any more (as counters no rule uses are dropped). */
export function keepTriggerEvents(recent: Record<string, RecentEvent[]>, plan: CounterPlan): Record<string, RecentEvent[]> {
  for (const name of Object.keys(recent)) {
    if (!plan.triggerEvents.has(name)) return Object.fromEntries(Object.entries(recent).filter(([kept]) => plan.triggerEvents.has(kept)));
  }
  return recent; // (the usual case: nothing to drop, nothing to copy)
}

// Kept events are shared from state to state, so each timestamp is parsed once, not on every event.
const parsedTimes = new WeakMap<RecentEvent, number>();

function timeOf(event: RecentEvent): number {
  let at = parsedTimes.get(event);
  if (at === undefined) parsedTimes.set(event, (at = Date.parse(event.timestamp)));
  return at;
}
