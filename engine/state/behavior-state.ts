/**
 * A user's behavior state and the pure function that applies one event to it. Counters hold event
 * timestamps (newest first), pruned to what the counter plan says rules can need. `lastSeq` is the
 * JetStream sequence of the last event applied: a redelivered event (sequence <= lastSeq) is recognised
 * and not applied twice.
 */
import type { EventEnvelope } from '../events/envelope';
import { matchesFilter, type CounterPlan, type CounterSpec } from './counter-plan';

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

export interface UserState {
  v: 1;
  userKey: string;
  lastSeq: number;
  /** The user's clock: the newest event timestamp seen, in ms. Windows end here. */
  clock: number;
  traits: Record<string, unknown>;
  counters: Record<string, number[]>;
  entries: Record<string, EntryRecord>;
  journeys: Record<string, JourneyMarker>;
}

export function emptyState(userKey: string): UserState {
  return { v: 1, userKey, lastSeq: 0, clock: 0, traits: {}, counters: {}, entries: {}, journeys: {} };
}

/** Applies an event (identify: traits; track: counters) and returns the new state. Pure. */
export function applyEvent(state: UserState, event: EventEnvelope, seq: number, plan: CounterPlan): UserState {
  const at = Date.parse(event.timestamp);
  const clock = Math.max(state.clock, at);
  const next: UserState = { ...state, lastSeq: Math.max(state.lastSeq, seq), clock, counters: { ...state.counters } };
  if (event.type === 'identify') {
    next.traits = { ...state.traits, ...event.traits };
  } else if (event.type === 'track') {
    for (const spec of plan.byEvent.get(event.event) ?? []) {
      if (!matchesFilter(event.properties, spec.where)) continue;
      next.counters[spec.key] = insertTimestamp(next.counters[spec.key] ?? [], at);
    }
  }
  for (const [key, timestamps] of Object.entries(next.counters)) {
    const spec = plan.byKey.get(key);
    if (!spec) delete next.counters[key]; // no rule uses this counter any more
    else next.counters[key] = prune(timestamps, spec, clock);
  }
  return next;
}

function insertTimestamp(timestamps: number[], at: number): number[] {
  const copy = [...timestamps];
  const index = copy.findIndex((t) => t <= at);
  copy.splice(index === -1 ? copy.length : index, 0, at);
  return copy;
}

function prune(timestamps: number[], spec: CounterSpec, clock: number): number[] {
  const keep = Math.max(spec.maxCount, spec.keepLatest);
  return timestamps.filter((t, i) => i < keep && (i < spec.keepLatest || t > clock - spec.windowMs));
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
