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
 */
import type { JourneyMarker, UserState } from './behavior-state';

/** The version this code writes: the one UserState's type states. */
export const STATE_VERSION: UserState['v'] = 2;

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
  if (version === 1) return fromV1(raw, userKey);
  if (typeof version === 'number' && version > STATE_VERSION) throw new UnreadableStateError(userKey, `it is schema version ${version}, written by a newer nudge (this one reads up to ${STATE_VERSION})`);
  throw new UnreadableStateError(userKey, `unknown schema version ${JSON.stringify(version)}`);
}

function fromV1(raw: Raw, userKey: string): UserState {
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
    ...(raw as unknown as UserState),
    v: STATE_VERSION,
    counterIds,
    journeys,
    consent: isObject(raw.consent) ? (raw.consent as UserState['consent']) : {},
    traitsUpdatedAt: isObject(raw.traitsUpdatedAt) ? (raw.traitsUpdatedAt as UserState['traitsUpdatedAt']) : {},
  };
}
