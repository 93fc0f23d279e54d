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
  if (Number.isNaN(at) || !isKept(list) || includesId(list, event.messageId)) return mergeRecent(list, [event]);
  let index = 0;
  while (index < list.length && timeOf(list[index]!) >= at) index++;
  if (index >= MAX_RECENT) return list; // older than every kept one: it falls off the end
  const merged = new Array<RecentEvent>(Math.min(list.length + 1, MAX_RECENT));
  for (let i = 0; i < merged.length; i++) merged[i] = i < index ? list[i]! : i === index ? event : list[i - 1]!;
  kept.add(merged);
  return merged;
}

/**
 * Lists known to be as mergeRecent leaves them: the ones withRecent built, and any other checked once
 * (a state read from the store). States are never changed in place, so a list once checked stays so,
 * and an event costs one look-up here instead of parsing and comparing every kept timestamp.
 */
const kept = new WeakSet<RecentEvent[]>();

function includesId(list: RecentEvent[], messageId: string): boolean {
  for (const event of list) if (event.messageId === messageId) return true;
  return false;
}

function isKept(list: RecentEvent[]): boolean {
  if (kept.has(list)) return true;
  if (list.length > MAX_RECENT) return false;
  for (let i = 0; i < list.length; i++) {
    const t = timeOf(list[i]!);
    if (Number.isNaN(t) || (i > 0 && t > timeOf(list[i - 1]!))) return false;
    for (let j = 0; j < i; j++) if (list[j]!.messageId === list[i]!.messageId) return false;
  }
  kept.add(list);
  return true;
}

/** Drops kept events of names no enabled rule triggers on any more (as counters no rule uses are dropped). */
export function keepTriggerEvents(recent: Record<string, RecentEvent[]>, plan: CounterPlan): Record<string, RecentEvent[]> {
  for (const name in recent) {
    if (Object.hasOwn(recent, name) && !plan.triggerEvents.has(name)) return Object.fromEntries(Object.entries(recent).filter(([kept]) => plan.triggerEvents.has(kept)));
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
