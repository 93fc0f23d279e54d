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
import { matchesFilter, type CounterPlan, type CounterSpec } from './counter-plan';
import { recordInSession, sessionIsCurrent, sessionValue, type SessionRecord } from './sessions';
import type { JourneyEvent } from '../../workflows/journey/machine';

export interface JourneyMarker {
  workflowId: string;
  ruleVersion: number;
  startedAt: number;
  /** Event names the journey wants as signals (its exit events and wait-for events). */
  listens: string[];
}

export interface EntryRecord {
  lastEnteredAt: number;
  entries: number;
  lastWorkflowId: string;
}

/** One consent decision: granted or withdrawn, when, and by what (identify trait, one-click link, SMS STOP…). */
export interface ConsentRecord {
  granted: boolean;
  at: number;
  source: string;
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
  const next: UserState = { ...state, lastSeq: Math.max(state.lastSeq, seq), clock, counters: { ...state.counters }, identifiers: withIdentifiers(state.identifiers, event) };
  const counterIds = Object.fromEntries(Object.keys(state.counters).map((key) => [key, counterIdsOf(state, key)]));
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
    for (const spec of plan.byEvent.get(behavior.name) ?? []) {
      if (!matchesFilter(behavior.properties, spec.where)) continue;
      const index = insertionIndex(next.counters[spec.key] ?? [], at);
      next.counters[spec.key] = insertAt(next.counters[spec.key] ?? [], index, at);
      counterIds[spec.key] = insertAt(counterIds[spec.key] ?? [], index, event.messageId);
    }
    if (plan.triggerEvents.has(behavior.name)) {
      const kept: RecentEvent = { messageId: event.messageId, event: behavior.name, timestamp: event.timestamp, properties: behavior.properties };
      recent = { ...recent, [behavior.name]: mergeRecent(recent[behavior.name] ?? [], [kept]) };
    }
  }
  for (const [key, timestamps] of Object.entries(next.counters)) {
    const spec = plan.byKey.get(key);
    if (!spec) {
      delete next.counters[key]; // no rule uses this counter any more
      delete counterIds[key];
    } else [next.counters[key], counterIds[key]] = pruneCounter(timestamps, counterIds[key] ?? [], spec, clock);
  }
  setOrDelete(next, 'counterIds', counterIds);
  setOrDelete(next, 'recent', keepTriggerEvents(recent, plan));
  setOrDelete(next, 'sessions', applySessions(state.sessions ?? {}, behavior, at, clock, plan));
  return next;
}

/** Optional maps are left out when empty, so states stay as small as before the field existed. */
function setOrDelete<K extends 'counterIds' | 'recent' | 'sessions'>(state: UserState, field: K, value: NonNullable<UserState[K]>): void {
  if (Object.keys(value).length) state[field] = value;
  else delete state[field];
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

/** Drops kept events of names no enabled rule triggers on any more (as counters no rule uses are dropped). */
export function keepTriggerEvents(recent: Record<string, RecentEvent[]>, plan: CounterPlan): Record<string, RecentEvent[]> {
  return Object.fromEntries(Object.entries(recent).filter(([name]) => plan.triggerEvents.has(name)));
}

function setAt(times: Record<string, number> | undefined, names: string[], at: number): Record<string, number> {
  return { ...times, ...Object.fromEntries(names.map((name) => [name, at])) };
}

function withIdentifiers(ids: Identifiers | undefined, event: EventEnvelope): Identifiers {
  const anonymousIds = event.anonymousId
    ? [event.anonymousId, ...(ids?.anonymousIds ?? []).filter((id) => id !== event.anonymousId)].slice(0, MAX_ANONYMOUS_IDS)
    : ids?.anonymousIds;
  const userId = event.userId ?? ids?.userId;
  return { ...(userId !== undefined ? { userId } : {}), ...(anonymousIds?.length ? { anonymousIds } : {}) };
}

/** Records a behavior event in the sessions of distinct tags; drops ended sessions and those no tag reads. */
function applySessions(current: Record<string, SessionRecord>, behavior: BehaviorEvent | null, at: number, clock: number, plan: CounterPlan): Record<string, SessionRecord> {
  const sessions = { ...current };
  const specs = behavior ? (plan.sessionsByEvent.get(behavior.name) ?? []) : [];
  for (const spec of specs) {
    const value = behavior && matchesFilter(behavior.properties, spec.where) ? sessionValue(behavior.properties[spec.property]) : undefined;
    if (value !== undefined) sessions[spec.key] = recordInSession(sessions[spec.key], spec, value, at);
  }
  return keepCurrentSessions(sessions, clock, plan);
}

/** Sessions that a tag still reads and that have not ended at `clock`, trimmed to the tag's max. */
export function keepCurrentSessions(current: Record<string, SessionRecord>, clock: number, plan: CounterPlan): Record<string, SessionRecord> {
  const sessions = { ...current };
  for (const [key, record] of Object.entries(sessions)) {
    const spec = plan.sessionsByKey.get(key);
    if (!spec || !sessionIsCurrent(record, spec.gapMs, clock)) delete sessions[key];
    else if (record.values.length > spec.maxValues) sessions[key] = { ...record, values: record.values.slice(0, spec.maxValues) };
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
  const kept = timestamps.flatMap((t, i) => (i < keep && (i < spec.keepLatest || t > clock - spec.windowMs) ? [i] : []));
  return [kept.map((i) => timestamps[i]!), kept.map((i) => ids[i] ?? '')];
}

/** Events in the window (now - windowMs, now]. Saturates at the counter's maxCount, which is all a rule can tell apart. */
export function countWithin(state: UserState, key: string, windowMs: number, now: number): number {
  const timestamps = state.counters[key] ?? [];
  return timestamps.filter((t) => t <= now && t > now - windowMs).length;
}

/** Seconds from the newest occurrence strictly before `before` to `now`; null when there is none. */
export function secondsSinceLast(state: UserState, key: string, before: number, now: number): number | null {
  const previous = (state.counters[key] ?? []).find((t) => t < before);
  return previous === undefined ? null : (now - previous) / 1000;
}

const CHANNELS = ['email', 'sms'];

function setConsent(consent: Record<string, Record<string, ConsentRecord>>, channel: string, topic: string, record: ConsentRecord) {
  const current = consent[channel]?.[topic];
  if (current && current.at > record.at) return consent; // a later decision already stands
  return { ...consent, [channel]: { ...consent[channel], [topic]: record } };
}

/** `traits.consent` on identify: { email: false } (whole channel) or { email: { promotions: false } } (per topic). */
function applyConsentTrait(consent: Record<string, Record<string, ConsentRecord>>, trait: unknown, at: number) {
  let next = consent;
  if (typeof trait !== 'object' || trait === null) return next;
  for (const [channel, value] of Object.entries(trait as Record<string, unknown>)) {
    if (typeof value === 'boolean') next = setConsent(next, channel, 'all', { granted: value, at, source: 'identify' });
    else if (typeof value === 'object' && value !== null) {
      for (const [topic, granted] of Object.entries(value)) {
        if (typeof granted === 'boolean') next = setConsent(next, channel, topic, { granted, at, source: 'identify' });
      }
    }
  }
  return next;
}

/** `unsubscribed` / `subscribed` track events: properties { channel: "email"|"sms"|"all", topic?, source? }. */
function applyConsentEvent(consent: Record<string, Record<string, ConsentRecord>>, granted: boolean, properties: Record<string, unknown>, at: number) {
  const channel = typeof properties.channel === 'string' ? properties.channel : 'all';
  const topic = typeof properties.topic === 'string' && properties.topic ? properties.topic : 'all';
  const source = typeof properties.source === 'string' ? properties.source : granted ? 'subscribed' : 'unsubscribed';
  let next = consent;
  for (const c of channel === 'all' ? CHANNELS : [channel]) next = setConsent(next, c, topic, { granted, at, source });
  return next;
}

export type ConsentMode = 'opt-out' | 'opt-in';

/**
 * May a message go out? The latest decision about the message's topic or its whole channel wins (by
 * event time): a later grant of a topic lifts an earlier channel-wide opt-out for that topic, and a later
 * channel-wide opt-out overrides earlier topic grants. Transactional messages ignore consent, except a
 * channel-wide SMS opt-out that no later grant lifted (carriers enforce STOP). Without any decision,
 * opt-out mode allows and opt-in mode does not.
 */
export function consentAllows(state: UserState, channel: string, topic: string, transactional: boolean, mode: ConsentMode): boolean {
  const records = state.consent?.[channel] ?? {};
  if (transactional) return !(channel === 'sms' && records.all?.granted === false);
  const decisions = [records.all, topic === 'all' ? undefined : records[topic]].filter((r): r is ConsentRecord => r !== undefined);
  if (decisions.length === 0) return mode === 'opt-out';
  const latest = decisions.reduce((a, b) => (b.at >= a.at ? b : a));
  return latest.granted;
}
