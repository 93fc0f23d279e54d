/**
 * Counting one event into a user's counters and pruning every counter to what the counter plan can
 * still need at the user's clock (behavior-state.ts applies events with it; merge-states.ts prunes
 * merged counters the same way). Timestamps are newest first, each with the messageId it came from.
 *
 * This runs for every event the engine sees, so what does not change is not copied: a counter array
 * nothing is added to or dropped from is shared with the previous state (states are never mutated in
 * place), and a state whose counters all stay as they are keeps its counter maps.
 */
import type { UserState } from './behavior-state';
import type { CounterPlan, CounterSpec } from './counter-plan';

export interface CountedState {
  counters: Record<string, number[]>;
  counterIds: Record<string, string[]>;
}

/** The counters after an event at `at` counted in `specs` (none for an event no counter counts) and pruning at `clock`. */
export function countEvent(state: UserState, specs: readonly CounterSpec[], messageId: string, at: number, clock: number, plan: CounterPlan): CountedState {
  if (specs.length === 0 && isSettled(state, clock, plan)) return { counters: state.counters, counterIds: state.counterIds };
  const counters: Record<string, number[]> = {};
  const counterIds: Record<string, string[]> = {};
  for (const key of Object.keys(state.counters)) {
    counters[key] = state.counters[key]!;
    counterIds[key] = counterIdsOf(state, key);
  }
  for (const spec of specs) {
    const timestamps = counters[spec.key] ?? [];
    const index = insertionIndex(timestamps, at);
    counters[spec.key] = insertAt(timestamps, index, at);
    counterIds[spec.key] = insertAt(counterIds[spec.key] ?? [], index, messageId);
  }
  for (const key of Object.keys(counters)) {
    const spec = plan.byKey.get(key);
    if (!spec) {
      delete counters[key]; // no rule uses this counter any more
      delete counterIds[key];
    } else [counters[key], counterIds[key]] = pruneCounter(counters[key]!, counterIds[key] ?? [], spec, clock);
  }
  return { counters, counterIds };
}

/**
 * Whether pruning at `clock` would leave the counters exactly as they are: every counter still in the
 * plan, nothing to drop, and the ids aligned (as counterIdsOf would return them), with no other keys.
 */
function isSettled(state: UserState, clock: number, plan: CounterPlan): boolean {
  const ids = state.counterIds;
  let keys = 0;
  for (const key in state.counters) {
    if (!Object.hasOwn(state.counters, key)) continue;
    keys++;
    const spec = plan.byKey.get(key);
    const list = ids?.[key];
    if (!spec || !list || !keepsAll(state.counters[key]!, list, spec, clock)) return false;
  }
  if (ids) for (const key in ids) if (Object.hasOwn(ids, key) && --keys < 0) return false;
  return true;
}

/**
 * The messageIds of a counter, aligned with its timestamps. Stored states are aligned when they are
 * read (state-version.ts); a state built in code with a counter but not its ids (tests, hand-made
 * merges) reads as unknown ids ('', never deduplicated): a wrong pairing would merge two different
 * events into one.
 */
export function counterIdsOf(state: UserState, key: string): string[] {
  const length = state.counters[key]?.length ?? 0;
  const ids = state.counterIds[key];
  return ids?.length === length ? ids : Array<string>(length).fill('');
}

/** Most entries kept inside the allowed lateness beyond the counter's usual bound, so a burst cannot grow a state without limit. */
export const MAX_LATE_ENTRIES = 100;

/**
 * Whether pruning at `clock` keeps the entry `t` at index `i` (newest first). Without lateness: the
 * `keep` newest, of those only the `keepLatest` newest once outside the window. With allowed lateness L
 * a journey counts as of any time T in [clock - L, clock] (its trigger re-check), so the `late` entries
 * newer than clock - L are all kept (up to MAX_LATE_ENTRIES more than usual), and the older ones as
 * without lateness, counted from the first of them and with the window reaching L further back: the
 * newest `keep` entries at or before any such T, inside T's window, are then still there.
 */
function keeps(spec: CounterSpec, keep: number, clock: number, t: number, i: number, late: number): boolean {
  if (i < late) return i < keep + MAX_LATE_ENTRIES;
  const older = i - late;
  return older < keep && (older < spec.keepLatest || t > clock - spec.windowMs - (spec.latenessMs ?? 0));
}

/** How many entries (a newest-first prefix) are newer than clock - latenessMs; 0 without lateness. */
function lateEntries(timestamps: number[], spec: CounterSpec, clock: number): number {
  const lateness = spec.latenessMs ?? 0;
  if (lateness <= 0) return 0;
  let late = 0;
  while (late < timestamps.length && timestamps[late]! > clock - lateness) late++;
  return late;
}

/** Whether pruning keeps every entry (and every id is a string): then the arrays themselves are the answer. */
function keepsAll(timestamps: number[], ids: string[], spec: CounterSpec, clock: number): boolean {
  if (ids.length !== timestamps.length) return false;
  const keep = Math.max(spec.maxCount, spec.keepLatest);
  const late = lateEntries(timestamps, spec, clock);
  for (let i = 0; i < timestamps.length; i++) {
    if (!keeps(spec, keep, clock, timestamps[i]!, i, late) || ids[i] === undefined || ids[i] === null) return false;
  }
  return true;
}

/** A counter's timestamps and their ids, pruned together (by index) to what the spec can need at `clock`. */
export function pruneCounter(timestamps: number[], ids: string[], spec: CounterSpec, clock: number): [number[], string[]] {
  if (keepsAll(timestamps, ids, spec, clock)) return [timestamps, ids];
  const keep = Math.max(spec.maxCount, spec.keepLatest);
  const late = lateEntries(timestamps, spec, clock);
  const kept: number[] = [];
  const keptIds: string[] = [];
  for (let i = 0; i < timestamps.length; i++) {
    if (!keeps(spec, keep, clock, timestamps[i]!, i, late)) continue;
    kept.push(timestamps[i]!);
    keptIds.push(ids[i] ?? '');
  }
  return [kept, keptIds];
}

/** Where a timestamp goes in a newest-first list: before the first one not newer than it. */
function insertionIndex(timestamps: number[], at: number): number {
  for (let i = 0; i < timestamps.length; i++) if (timestamps[i]! <= at) return i;
  return timestamps.length;
}

function insertAt<T>(list: T[], index: number, item: T): T[] {
  const out = new Array<T>(list.length + 1);
  for (let i = 0; i < out.length; i++) out[i] = i < index ? list[i]! : i === index ? item : list[i - 1]!;
  return out;
}
