/**
 * A user's behavior state and the pure function that applies one event to it. Counters hold event
 * timestamps (newest first), pruned to what the counter plan says rules and tags can need, each with the
 * messageId it came from (so merging two people's states counts an event seen through both ids once);
 * sessions hold the current session of each `distinct` tag (sessions.ts); `recent` holds the newest few
 * trigger events (to re-evaluate rules after a merge, merge-states.ts). Traits carry the time each was set.
 * `lastSeq` is the JetStream sequence of the last event applied: a redelivered event (sequence <=
 * lastSeq) is recognised and not applied twice.
 */
import { behaviorEventOf, type BehaviorEvent, type EventEnvelope } from '../events/envelope';
import { countersFor, matchesFilter, type CounterPlan, type CounterSpec } from './counter-plan';
import { recordInSession, sessionIsCurrent, sessionValue, type SessionRecord } from './sessions';
import type { JourneyEvent } from '../../workflows/journey/machine';
import { applyConsentEvent, applyConsentTrait, type ConsentRecord } from './consent';

// Consent lives in consent.ts; its names stay importable from here, where they always were.
export { consentAllows, type ConsentMode, type ConsentRecord } from './consent';

export interface JourneyMarker {
  workflowId: string;
  ruleVersion: number;
  startedAt: number;
  /** Event names the journey wants as signals (its exit events and wait-for events). */
  listens: string[];
  /**
   * The journey tells the partition when it ends (a `journey-ended` control message), which removes
   * this marker. Markers written before that existed lack it; the engine asks Temporal about those once.
   */
  endNotice?: boolean;
}

export interface EntryRecord {
  lastEnteredAt: number;
  entries: number;
  lastWorkflowId: string;
}

export interface UserState {
  v: 1;
  userKey: string;
  lastSeq: number;
  /** The user's clock: the newest event timestamp seen, in ms. Windows end here. */
  clock: number;
  traits: Record<string, unknown>;
  counters: Record<string, number[]>;
  /**
   * messageId of each counter timestamp, index by index with `counters[key]`; '' = unknown. Absent or
   * misaligned in states written before it existed: read through counterIdsOf, never directly.
   */
  counterIds?: Record<string, string[]>;
  /** Newest MAX_RECENT events per trigger event name of the enabled rules, newest first; absent when none. */
  recent?: Record<string, RecentEvent[]>;
  entries: Record<string, EntryRecord>;
  journeys: Record<string, JourneyMarker>;
  /** Signals saved with the state and sent right after it is stored (see EventProcessor). */
  outbox?: { ruleId: string; workflowId: string; event: { messageId: string; event: string; timestamp: string; properties: Record<string, unknown> } }[];
  /** channel -> topic (or "all") -> consent; absent in states written before consent existed. */
  consent?: Record<string, Record<string, ConsentRecord>>;
  /** Trait name -> time (ms) of the identify or group event that set its current value. */
  traitsUpdatedAt?: Record<string, number>;
  /** The identifiers the user's events carried (the state is kept under userId ?? anonymousId). */
  identifiers?: Identifiers;
  /**
   * Set when this person was merged into another (identity stitching): the state is then a tombstone
   * and events that still arrive for it are forwarded to that person.
   */
  mergedInto?: string;
  /** Person ids whose state was merged into this one (a repeated hand-off is recognised). */
  absorbed?: string[];
  /** Current sessions of `distinct` tags, by session key (see sessions.ts); absent when there are none. */
  sessions?: Record<string, SessionRecord>;
}

export interface Identifiers {
  userId?: string;
  /** Most recently seen first, at most MAX_ANONYMOUS_IDS (a user on many devices keeps a small state). */
  anonymousIds?: string[];
}

export const MAX_ANONYMOUS_IDS = 10;

/** A kept trigger event, in the shape journeys receive events, so it can trigger a rule again as it is. */
export type RecentEvent = JourneyEvent;

/** Trigger events kept per name: enough to re-evaluate a rule after a merge, small enough to stay bounded. */
export const MAX_RECENT = 5;

export function emptyState(userKey: string): UserState {
  return { v: 1, userKey, lastSeq: 0, clock: 0, traits: {}, counters: {}, entries: {}, journeys: {} };
}

/**
 * Applies an event and returns the new state. Pure. identify: traits; group: traits.groupId and the
 * group's traits under traits.group; behavior (track, page, screen — see behaviorEventOf): counters
 * (with the event's messageId), sessions, and `recent` when an enabled rule triggers on its name.
 */
export function applyEvent(state: UserState, event: EventEnvelope, seq: number, plan: CounterPlan): UserState {
  const at = Date.parse(event.timestamp);
  const clock = Math.max(state.clock, at);
  const next: UserState = { ...state, lastSeq: Math.max(state.lastSeq, seq), clock, identifiers: withIdentifiers(state.identifiers, event) };
  // Per event this runs for every user event the engine sees, so nothing is copied that does not
  // change: unchanged counter arrays, kept events and sessions are shared with the previous state
  // (states are never mutated in place).
  const counters: Record<string, number[]> = {};
  const counterIds: Record<string, string[]> = {};
  for (const key of Object.keys(state.counters)) {
    counters[key] = state.counters[key]!;
    counterIds[key] = counterIdsOf(state, key);
  }
  let recent = state.recent ?? {};
  const behavior = behaviorEventOf(event);
  if (event.type === 'identify') {
    const { consent, ...traits } = event.traits;
    next.traits = { ...state.traits, ...traits };
    next.traitsUpdatedAt = setAt(state.traitsUpdatedAt, Object.keys(traits), at);
    if (consent !== undefined) next.consent = applyConsentTrait(state.consent ?? {}, consent, at);
  } else if (event.type === 'group') {
    next.traits = { ...state.traits, groupId: event.groupId, group: { ...objectOrEmpty(state.traits.group), ...event.traits } };
    next.traitsUpdatedAt = setAt(state.traitsUpdatedAt, ['groupId', 'group'], at);
  } else if (behavior) {
    if (behavior.name === 'unsubscribed' || behavior.name === 'subscribed') next.consent = applyConsentEvent(state.consent ?? {}, behavior.name === 'subscribed', behavior.properties, at);
    for (const spec of countersFor(plan, behavior.name, behavior.properties)) {
      const index = insertionIndex(counters[spec.key] ?? [], at);
      counters[spec.key] = insertAt(counters[spec.key] ?? [], index, at);
      counterIds[spec.key] = insertAt(counterIds[spec.key] ?? [], index, event.messageId);
    }
    if (plan.triggerEvents.has(behavior.name)) {
      const kept: RecentEvent = { messageId: event.messageId, event: behavior.name, timestamp: event.timestamp, properties: behavior.properties };
      recent = { ...recent, [behavior.name]: withRecent(recent[behavior.name] ?? [], kept) };
    }
  }
  for (const key of Object.keys(counters)) {
    const spec = plan.byKey.get(key);
    if (!spec) {
      delete counters[key]; // no rule uses this counter any more
      delete counterIds[key];
    } else [counters[key], counterIds[key]] = pruneCounter(counters[key]!, counterIds[key] ?? [], spec, clock);
  }
  next.counters = counters;
  setOrDelete(next, 'counterIds', counterIds);
  setOrDelete(next, 'recent', keepTriggerEvents(recent, plan));
  setOrDelete(next, 'sessions', applySessions(state.sessions ?? {}, behavior, at, clock, plan));
  return next;
}

/** Optional maps are left out when empty, so states stay as small as before the field existed. */
function setOrDelete<K extends 'counterIds' | 'recent' | 'sessions'>(state: UserState, field: K, value: NonNullable<UserState[K]>): void {
  if (hasKeys(value)) state[field] = value;
  else delete state[field];
}

function hasKeys(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

/**
 * The messageIds of a counter, aligned with its timestamps. A state from before counterIds existed, or
 * one whose arrays no longer line up, has its ids rebuilt as unknown ('', never deduplicated): a wrong
 * pairing would merge two different events into one.
 */
export function counterIdsOf(state: UserState, key: string): string[] {
  const length = state.counters[key]?.length ?? 0;
  const ids = state.counterIds?.[key];
  return ids?.length === length ? ids : Array<string>(length).fill('');
}

/** Kept trigger events: `a` and `b` together, newest first (a first on ties), each messageId once, at most MAX_RECENT. */
export function mergeRecent(a: RecentEvent[], b: RecentEvent[]): RecentEvent[] {
  const seen = new Set<string>();
  return [...a, ...b]
    .map((event, order) => ({ event, at: Date.parse(event.timestamp), order }))
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
 * mergeRecent(list, [event]) without sorting: `list` as mergeRecent leaves it (newest first, each
 * messageId once, at most MAX_RECENT) takes the new event after those not older than it. Any other
 * list goes through mergeRecent itself.
 */
function withRecent(list: RecentEvent[], event: RecentEvent): RecentEvent[] {
  if (list.length > MAX_RECENT) return mergeRecent(list, [event]);
  const at = Date.parse(event.timestamp);
  let index = list.length;
  let previous = Infinity;
  for (let i = 0; i < list.length; i++) {
    const t = Date.parse(list[i]!.timestamp);
    if (!(t <= previous) || list[i]!.messageId === event.messageId) return mergeRecent(list, [event]); // unsorted (or NaN), or seen
    for (let j = 0; j < i; j++) if (list[j]!.messageId === list[i]!.messageId) return mergeRecent(list, [event]);
    if (t < at && index === list.length) index = i;
    previous = t;
  }
  if (Number.isNaN(at)) return mergeRecent(list, [event]);
  if (index >= MAX_RECENT) return list;
  const merged = [...list.slice(0, index), event, ...list.slice(index)];
  return merged.length > MAX_RECENT ? merged.slice(0, MAX_RECENT) : merged;
}

/** Drops kept events of names no enabled rule triggers on any more (as counters no rule uses are dropped). */
export function keepTriggerEvents(recent: Record<string, RecentEvent[]>, plan: CounterPlan): Record<string, RecentEvent[]> {
  for (const name of Object.keys(recent)) {
    if (!plan.triggerEvents.has(name)) return Object.fromEntries(Object.entries(recent).filter(([kept]) => plan.triggerEvents.has(kept)));
  }
  return recent; // (the usual case: nothing to drop, nothing to copy)
}

function setAt(times: Record<string, number> | undefined, names: string[], at: number): Record<string, number> {
  return { ...times, ...Object.fromEntries(names.map((name) => [name, at])) };
}

function withIdentifiers(ids: Identifiers | undefined, event: EventEnvelope): Identifiers {
  const known = ids?.anonymousIds;
  const anonymousIds = !event.anonymousId || (known && isFirstOnly(known, event.anonymousId))
    ? known
    : [event.anonymousId, ...(known ?? []).filter((id) => id !== event.anonymousId)].slice(0, MAX_ANONYMOUS_IDS);
  const userId = event.userId ?? ids?.userId;
  const same = ids !== undefined && ids.userId === userId && (anonymousIds?.length ? ids.anonymousIds === anonymousIds : ids.anonymousIds === undefined);
  // The same ids as before (most events): keep the object, if it has exactly the fields built below.
  if (same && Object.keys(ids).length === (userId !== undefined ? 1 : 0) + (anonymousIds?.length ? 1 : 0) && (userId === undefined || Object.keys(ids)[0] === 'userId')) return ids;
  return { ...(userId !== undefined ? { userId } : {}), ...(anonymousIds?.length ? { anonymousIds } : {}) };
}

/** Whether the list starts with `id`, has it once and is within the bound: putting `id` first changes nothing. */
function isFirstOnly(list: string[], id: string): boolean {
  return list[0] === id && list.length <= MAX_ANONYMOUS_IDS && list.indexOf(id, 1) === -1;
}

/** Records a behavior event in the sessions of distinct tags; drops ended sessions and those no tag reads. */
function applySessions(current: Record<string, SessionRecord>, behavior: BehaviorEvent | null, at: number, clock: number, plan: CounterPlan): Record<string, SessionRecord> {
  let sessions = current;
  const specs = behavior ? (plan.sessionsByEvent.get(behavior.name) ?? []) : [];
  for (const spec of specs) {
    const value = behavior && matchesFilter(behavior.properties, spec.where) ? sessionValue(behavior.properties[spec.property]) : undefined;
    if (value === undefined) continue;
    if (sessions === current) sessions = { ...current };
    sessions[spec.key] = recordInSession(sessions[spec.key], spec, value, at);
  }
  return keepCurrentSessions(sessions, clock, plan);
}

/** Sessions that a tag still reads and that have not ended at `clock`, trimmed to the tag's max; `current` itself when all are. */
export function keepCurrentSessions(current: Record<string, SessionRecord>, clock: number, plan: CounterPlan): Record<string, SessionRecord> {
  let sessions = current;
  for (const key of Object.keys(current)) {
    const record = current[key]!;
    const spec = plan.sessionsByKey.get(key);
    const ended = !spec || !sessionIsCurrent(record, spec.gapMs, clock);
    if (!ended && record.values.length <= spec.maxValues) continue;
    if (sessions === current) sessions = { ...current }; // copied only when something changes
    if (ended) delete sessions[key];
    else sessions[key] = { ...record, values: record.values.slice(0, spec.maxValues) };
  }
  return sessions;
}

const objectOrEmpty = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Where a timestamp goes in a newest-first list: before the first one not newer than it. */
function insertionIndex(timestamps: number[], at: number): number {
  const index = timestamps.findIndex((t) => t <= at);
  return index === -1 ? timestamps.length : index;
}

const insertAt = <T>(list: T[], index: number, item: T): T[] => [...list.slice(0, index), item, ...list.slice(index)];

/** A counter's timestamps and their ids, pruned together (by index) to what the spec can need at `clock`. */
export function pruneCounter(timestamps: number[], ids: string[], spec: CounterSpec, clock: number): [number[], string[]] {
  const keep = Math.max(spec.maxCount, spec.keepLatest);
  const keeps = (t: number, i: number) => i < keep && (i < spec.keepLatest || t > clock - spec.windowMs);
  // Usually nothing is dropped: then the arrays themselves are the answer (no copy per event).
  let unchanged = ids.length === timestamps.length;
  for (let i = 0; unchanged && i < timestamps.length; i++) unchanged = keeps(timestamps[i]!, i) && ids[i] !== undefined && ids[i] !== null;
  if (unchanged) return [timestamps, ids];
  const kept: number[] = [];
  const keptIds: string[] = [];
  for (let i = 0; i < timestamps.length; i++) {
    if (!keeps(timestamps[i]!, i)) continue;
    kept.push(timestamps[i]!);
    keptIds.push(ids[i] ?? '');
  }
  return [kept, keptIds];
}

/** Events in the window (now - windowMs, now]. Saturates at the counter's maxCount, which is all a rule can tell apart. */
export function countWithin(state: UserState, key: string, windowMs: number, now: number): number {
  const timestamps = state.counters[key];
  if (!timestamps) return 0;
  let count = 0;
  for (const t of timestamps) if (t <= now && t > now - windowMs) count++;
  return count;
}

/** Seconds from the newest occurrence strictly before `before` to `now`; null when there is none. */
export function secondsSinceLast(state: UserState, key: string, before: number, now: number): number | null {
  const previous = (state.counters[key] ?? []).find((t) => t < before);
  return previous === undefined ? null : (now - previous) / 1000;
}
