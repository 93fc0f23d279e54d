/**
 * The person state's schema version and the one way a stored state becomes a current one. Every read
 * of a stored state — the KV store, its batch read, the in-memory twins of the simulator and the tests —
 * goes through upgradeState, so the rest of the code sees one shape: no field is optional only because
 * older code did not write it.
 *
 * v1 → v2: v1 states may lack `counterIds` (or hold ids that no longer line up with their counter's
 * timestamps, when an engine from before counterIds added timestamps to a state a newer one wrote),
 * `consent`, `traitsUpdatedAt` and a journey marker's `endNotice`. The upgrade fills the maps empty,
 * rebuilds misaligned ids as unknown ('' — never deduplicated, as a wrong pairing would merge two
 * different events into one), and writes `endNotice: false` on markers without one: nobody promised an
 * `ended` notice for those journeys, so the engine still asks Temporal about them once
 * (engine/ingest/legacy-markers.ts).
 *
 * v2 → v3: `sendHours` (send-hours.ts), the hours a person is active, for `waitUntil` "best". A v2 state
 * gets it seeded from the event times it already holds, its counters' timestamps (one event counted by
 * several counters once, by messageId): those are activity hours the person really had, so a journey
 * entered right after the upgrade does not fall back to the rule's time for want of history. Which of
 * them were engagement events a state does not record (counter keys are the plan's), so all seed the
 * activity histogram; engagement events from then on take precedence as usual.
 */
import type { JourneyMarker, UserState } from './behavior-state';
import { sendHoursFromTimes } from './send-hours';

/** The version this code writes: the one UserState's type states. */
export const STATE_VERSION: UserState['v'] = 3;

/** A stored state this code cannot read: written by a newer nudge, or not a state at all. Not retryable. */
export class UnreadableStateError extends Error {
  readonly retryable = false;
  constructor(readonly userKey: string, reason: string) {
    super(`stored state of user "${userKey}" cannot be read: ${reason}`);
    this.name = 'UnreadableStateError';
  }
}

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The current-version state of a stored one. `userKey`: under which key it was stored, for the error.
 * A v2 state is returned as it is (the hot path: a version check); a v1 state is upgraded into a copy.
 */
export function upgradeState(raw: unknown, userKey: string): UserState {
  if (!isObject(raw)) throw new UnreadableStateError(userKey, `expected an object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  const version = raw.v;
  if (version === STATE_VERSION) return raw as unknown as UserState;
  if (version === 2) return fromV2(raw);
  if (version === 1) return fromV2(fromV1(raw, userKey) as unknown as Raw);
  if (typeof version === 'number' && version > STATE_VERSION) throw new UnreadableStateError(userKey, `it is schema version ${version}, written by a newer nudge (this one reads up to ${STATE_VERSION})`);
  throw new UnreadableStateError(userKey, `unknown schema version ${JSON.stringify(version)}`);
}

type V2State = Omit<UserState, 'v' | 'sendHours'> & { v: 2 };

function fromV1(raw: Raw, userKey: string): V2State {
  for (const field of ['traits', 'counters', 'entries', 'journeys'] as const) {
    if (!isObject(raw[field])) throw new UnreadableStateError(userKey, `v1 state without its ${field} map`);
  }
  const counters = raw.counters as Record<string, number[]>;
  const storedIds = isObject(raw.counterIds) ? (raw.counterIds as Record<string, string[] | undefined>) : {};
  const counterIds: Record<string, string[]> = {};
  for (const key of Object.keys(counters)) {
    const length = counters[key]!.length;
    const ids = storedIds[key];
    counterIds[key] = Array.isArray(ids) && ids.length === length ? ids : Array<string>(length).fill('');
  }
  const journeys: Record<string, JourneyMarker> = {};
  for (const [ruleId, marker] of Object.entries(raw.journeys as Record<string, Omit<JourneyMarker, 'endNotice'> & { endNotice?: boolean }>)) {
    journeys[ruleId] = { ...marker, endNotice: marker.endNotice === true };
  }
  return {
    ...(raw as unknown as V2State),
    v: 2,
    counterIds,
    journeys,
    consent: isObject(raw.consent) ? (raw.consent as UserState['consent']) : {},
    traitsUpdatedAt: isObject(raw.traitsUpdatedAt) ? (raw.traitsUpdatedAt as UserState['traitsUpdatedAt']) : {},
  };
}

function fromV2(raw: Raw): UserState {
  const state = raw as unknown as V2State;
  const times = new Map<string, number>();
  for (const [key, stamps] of Object.entries(state.counters)) {
    const ids = state.counterIds[key] ?? [];
    // An unknown id ('') cannot be matched across counters: the timestamp stands in for it (two events
    // in the same millisecond are rarer than one event counted by two counters).
    stamps.forEach((t, i) => times.set(ids[i] ? `id:${ids[i]}` : `t:${t}`, t));
  }
  return { ...state, v: STATE_VERSION, sendHours: sendHoursFromTimes(times.values()) };
}
