/**
 * User behavior state in NATS KV, one key per user. Writes are compare-and-set on the revision that
 * was read, so a second writer (a misconfigured second owner of a partition) fails loudly instead of
 * losing an update.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { loadManyStates } from './load-many';
import { emptyState, type UserState } from '../../engine/state/behavior-state';
import { upgradeState } from '../../engine/state/state-version';
import { writeAtRevision } from '../nats/compare-and-set';

export interface VersionedState {
  state: UserState;
  /** KV revision the state was read at; 0 when the user has no state yet. */
  revision: number;
}

export class StateConflictError extends Error {
  constructor(userKey: string) {
    super(`state of user "${userKey}" changed while it was being updated (another engine owns the same partition?)`);
    this.name = 'StateConflictError';
  }
}

/** KV keys allow only [-/_=.a-zA-Z0-9]; user ids can hold anything, so they are base64url-encoded. */
/** Longest chain of merges a read follows (A merged into B, B into C…) before it gives up. */
export const MAX_MERGE_HOPS = 10;

/** Following `mergedInto` came back to a person already visited, or went on longer than MAX_MERGE_HOPS. */
export class MergeChainError extends Error {
  constructor(readonly chain: string[]) {
    super(`merge chain ${chain.join(' → ')} does not end at a live person (cycle or longer than ${MAX_MERGE_HOPS} hops)`);
    this.name = 'MergeChainError';
  }
}

/**
 * Follows `mergedInto` from a person to the live one (the state that is not a tombstone). Journeys of a
 * merged-away id keep running, and what they read (consent, traits, tags, caps) must be the live
 * person's. Shared by StateStore and the simulator's in-memory states.
 */
export async function followMerges(userKey: string, load: (userKey: string) => Promise<VersionedState>): Promise<VersionedState> {
  const chain = [userKey];
  let current = await load(userKey);
  while (current.state.mergedInto !== undefined) {
    const next = current.state.mergedInto;
    // A cycle would loop forever and a corrupted chain would read someone else; fail loudly instead.
    if (chain.includes(next) || chain.length > MAX_MERGE_HOPS) throw new MergeChainError([...chain, next]);
    chain.push(next);
    current = await load(next);
  }
  return current;
}

export const stateKey = (userKey: string) => `u.${Buffer.from(userKey, 'utf8').toString('base64url') || '_'}`;

export class StateStore {
  /** `direct`: the bucket's JetStream manager and name, for reading many states in one request (loadMany). */
  constructor(private readonly kv: KV, private readonly direct?: { jsm: JetStreamManager; bucket: string }) {}

  /** Many states at once; one request per few hundred people when the bucket allows direct reads. */
  async loadMany(userKeys: readonly string[]): Promise<Map<string, VersionedState>> {
    if (this.direct && userKeys.length > 1) return loadManyStates(this.direct.jsm, this.direct.bucket, stateKey, userKeys);
    return new Map(await Promise.all(userKeys.map(async (userKey) => [userKey, await this.load(userKey)] as const)));
  }

  async load(userKey: string): Promise<VersionedState> {
    const entry = await this.kv.get(stateKey(userKey));
    if (!entry || entry.operation !== 'PUT') return { state: emptyState(userKey), revision: entry?.revision ?? 0 };
    return { state: upgradeState(entry.json<unknown>(), userKey), revision: entry.revision };
  }

  /** The live person's state: `load`, following merges (see followMerges). Its `userKey` is the live id. */
  async loadResolved(userKey: string): Promise<VersionedState> {
    return followMerges(userKey, (key) => this.load(key));
  }

  async save(state: UserState, revision: number): Promise<number> {
    const key = stateKey(state.userKey);
    return writeAtRevision(this.kv, key, JSON.stringify(state), revision, () => new StateConflictError(state.userKey));
  }
}
