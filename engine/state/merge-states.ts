/**
 * Identity stitching, the pure state side: when two people turn out to be one, the absorbed person's
 * state is merged into the survivor's, and a tombstone stays under the absorbed id. Every decision is
 * a function of the two states and the counter plan, so the result does not depend on which engine
 * process (or the simulator) performs the merge.
 *
 * The merged state keeps the bounds of a state built by applyEvent: counters and sessions are pruned by
 * the same plan, trigger events and anonymous ids capped by the same limits.
 */
import { emptyState, keepCurrentSessions, MAX_ANONYMOUS_IDS } from './behavior-state';
import { STATE_VERSION } from './state-version';
import { counterIdsOf, pruneCounter } from './counters';
import { keepTriggerEvents, mergeRecent } from './recent-events';
import { mergeSendHours } from './send-hours';
import type { ConsentRecord, EntryRecord, Identifiers, JourneyMarker, UserState } from './behavior-state';
import type { CounterPlan } from './counter-plan';

/** Absorbed person ids remembered: enough to recognise a repeated hand-off, bounded like everything else. */
export const MAX_ABSORBED = 100;

/** Both people were in a journey of the same rule: the later one is told to exit (reason `merged`). */
export interface DuplicateJourney {
  ruleId: string;
  kept: JourneyMarker;
  dropped: JourneyMarker;
}

export interface MergeResult {
  state: UserState;
  duplicateJourneys: DuplicateJourney[];
}

/** The survivor's state with the absorbed person's merged in. Pure; neither input is changed. */
export function mergeStates(survivor: UserState, absorbed: UserState, plan: CounterPlan): MergeResult {
  const clock = Math.max(survivor.clock, absorbed.clock);
  const { traits, traitsUpdatedAt } = mergeTraits(survivor, absorbed);
  const { counters, counterIds } = mergeCounters(survivor, absorbed, plan, clock);
  const { journeys, duplicateJourneys } = mergeJourneys(survivor.journeys, absorbed.journeys);
  // Every field is spelled out, so a field added to UserState fails to compile here until the merge
  // decides what to do with it; absent (undefined) ones are left out of the stored state.
  const fields: { [K in keyof Required<UserState>]: UserState[K] | undefined } = {
    v: STATE_VERSION,
    userKey: survivor.userKey,
    // The absorbed person's stream sequences count another partition's events: meaningless here.
    lastSeq: survivor.lastSeq,
    clock,
    traits,
    traitsUpdatedAt,
    counters,
    counterIds,
    recent: nonEmpty(keepTriggerEvents(unionBy(survivor.recent, absorbed.recent, mergeRecent), plan)),
    sessions: nonEmpty(keepCurrentSessions(unionBy(survivor.sessions, absorbed.sessions, (s, a) => (a.lastAt > s.lastAt ? a : s)), clock, plan)),
    consent: mergeConsent(survivor.consent, absorbed.consent),
    sendHours: mergeSendHours(survivor.sendHours, absorbed.sendHours),
    // One person now: an absence timer counts from the newer arming occurrence of either half.
    absence: nonEmpty(unionBy(survivor.absence, absorbed.absence, (s, a) => (a.since > s.since ? a : s))),
    entries: unionBy(survivor.entries, absorbed.entries, mergeEntry),
    journeys,
    identifiers: mergeIdentifiers(survivor.identifiers, absorbed.identifiers),
    outbox: nonEmptyList([...(survivor.outbox ?? []), ...(absorbed.outbox ?? [])]),
    absorbed: nonEmptyList(absorbedIds(survivor, absorbed)),
    // The survivor is the live person; a tombstone is only ever written by tombstoneOf.
    mergedInto: undefined,
  };
  const state = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as unknown as UserState;
  return { state, duplicateJourneys };
}

/** What stays under the merged-away id: enough to forward late events and recognise redeliveries, no personal data. */
export function tombstoneOf(state: UserState, into: string): UserState {
  const tombstone: UserState = { ...emptyState(state.userKey), lastSeq: state.lastSeq, clock: state.clock, mergedInto: into };
  return state.absorbed ? { ...tombstone, absorbed: state.absorbed } : tombstone;
}

/** Whether this person's state already holds the other's (a repeated hand-off must not merge twice). */
export function hasAbsorbed(state: UserState, personId: string): boolean {
  return state.absorbed?.includes(personId) ?? false;
}

/** Per trait, the value set later wins; a trait without a recorded time counts as set at 0; ties keep the survivor's. */
function mergeTraits(survivor: UserState, absorbed: UserState) {
  const traits = { ...survivor.traits };
  const traitsUpdatedAt = { ...survivor.traitsUpdatedAt };
  for (const [name, value] of Object.entries(absorbed.traits)) {
    const theirs = absorbed.traitsUpdatedAt[name];
    if (Object.hasOwn(survivor.traits, name) && (theirs ?? 0) <= (survivor.traitsUpdatedAt[name] ?? 0)) continue;
    traits[name] = value;
    if (theirs === undefined) delete traitsUpdatedAt[name];
    else traitsUpdatedAt[name] = theirs;
  }
  return { traits, traitsUpdatedAt };
}

/**
 * Per counter the union of both halves, newest first, then pruned as applyEvent prunes. An event seen
 * through both ids has the same messageId on both sides and is counted once; unknown ids ('') never match.
 */
function mergeCounters(survivor: UserState, absorbed: UserState, plan: CounterPlan, clock: number) {
  const counters: Record<string, number[]> = {};
  const counterIds: Record<string, string[]> = {};
  for (const key of new Set([...Object.keys(survivor.counters), ...Object.keys(absorbed.counters)])) {
    const spec = plan.byKey.get(key);
    if (!spec) continue; // no rule or tag uses this counter any more
    const ours = entriesOf(survivor, key);
    const known = new Set(ours.map(([, id]) => id).filter((id) => id !== ''));
    const theirs = entriesOf(absorbed, key).filter(([, id]) => id === '' || !known.has(id));
    // A stable sort keeps each half's order and puts the survivor's first on equal times.
    const merged = [...ours, ...theirs].sort(([a], [b]) => b - a);
    [counters[key], counterIds[key]] = pruneCounter(merged.map(([t]) => t), merged.map(([, id]) => id), spec, clock);
  }
  return { counters, counterIds };
}

const entriesOf = (state: UserState, key: string): [number, string][] => {
  const ids = counterIdsOf(state, key);
  return (state.counters[key] ?? []).map((t, i) => [t, ids[i] ?? '']);
};

/** Both people in a journey of one rule: the one that started first carries on (the survivor's on a tie). */
function mergeJourneys(ours: Record<string, JourneyMarker>, theirs: Record<string, JourneyMarker>) {
  const journeys = { ...ours };
  const duplicateJourneys: DuplicateJourney[] = [];
  for (const [ruleId, marker] of Object.entries(theirs)) {
    const existing = journeys[ruleId];
    if (!existing) journeys[ruleId] = marker;
    else if (marker.startedAt < existing.startedAt) {
      journeys[ruleId] = marker;
      duplicateJourneys.push({ ruleId, kept: marker, dropped: existing });
    } else duplicateJourneys.push({ ruleId, kept: existing, dropped: marker });
  }
  return { journeys, duplicateJourneys };
}

/** Entry counts add up (entry limits apply to the person); the later entry names the last journey. */
function mergeEntry(ours: EntryRecord, theirs: EntryRecord): EntryRecord {
  const later = theirs.lastEnteredAt > ours.lastEnteredAt ? theirs : ours;
  return { entries: ours.entries + theirs.entries, lastEnteredAt: later.lastEnteredAt, lastWorkflowId: later.lastWorkflowId };
}

/** Per channel and topic, the later decision stands (the survivor's on a tie), as when one person decides twice. */
function mergeConsent(ours: Record<string, Record<string, ConsentRecord>>, theirs: Record<string, Record<string, ConsentRecord>>) {
  return unionBy(ours, theirs, (o, t) => unionBy(o, t, (a, b) => (b.at > a.at ? b : a)));
}

function mergeIdentifiers(ours: Identifiers | undefined, theirs: Identifiers | undefined): Identifiers | undefined {
  if (!ours && !theirs) return undefined;
  const userId = ours?.userId ?? theirs?.userId;
  const anonymousIds = [...new Set([...(ours?.anonymousIds ?? []), ...(theirs?.anonymousIds ?? [])])].slice(0, MAX_ANONYMOUS_IDS);
  return { ...(userId !== undefined ? { userId } : {}), ...(anonymousIds.length ? { anonymousIds } : {}) };
}

/** Oldest first; the oldest are dropped past MAX_ABSORBED. The survivor never lists itself (a cycle of hand-offs). */
function absorbedIds(survivor: UserState, absorbed: UserState): string[] {
  const ids = new Set([...(survivor.absorbed ?? []), absorbed.userKey, ...(absorbed.absorbed ?? [])]);
  ids.delete(survivor.userKey);
  return [...ids].slice(-MAX_ABSORBED);
}

/** Keys of both maps; where both have one, `both(ours, theirs)` decides. */
function unionBy<T>(ours: Record<string, T> | undefined, theirs: Record<string, T> | undefined, both: (ours: T, theirs: T) => T): Record<string, T> {
  const merged = { ...ours };
  for (const [key, value] of Object.entries(theirs ?? {})) {
    const existing = merged[key];
    merged[key] = existing === undefined ? value : both(existing, value);
  }
  return merged;
}

const nonEmpty = <T extends object>(value: T): T | undefined => (Object.keys(value).length ? value : undefined);
const nonEmptyList = <T>(list: T[]): T[] | undefined => (list.length ? list : undefined);
