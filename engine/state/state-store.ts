/**
 * User behavior state in NATS KV, one key per user. Writes are compare-and-set on the revision that
 * was read, so a second writer (a misconfigured second owner of a partition) fails loudly instead of
 * losing an update.
 */
import type { KV } from '@nats-io/kv';
import { emptyState, type UserState } from './behavior-state';

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
export const stateKey = (userKey: string) => `u.${Buffer.from(userKey, 'utf8').toString('base64url') || '_'}`;

export class StateStore {
  constructor(private readonly kv: KV) {}

  async load(userKey: string): Promise<VersionedState> {
    const entry = await this.kv.get(stateKey(userKey));
    if (!entry || entry.operation !== 'PUT') return { state: emptyState(userKey), revision: entry?.revision ?? 0 };
    return { state: entry.json<UserState>(), revision: entry.revision };
  }

  async save(state: UserState, revision: number): Promise<number> {
    const key = stateKey(state.userKey);
    const data = JSON.stringify(state);
    try {
      return revision === 0 ? await this.kv.create(key, data) : await this.kv.update(key, data, revision);
    } catch (error) {
      if (/wrong last sequence|key exists/i.test(String((error as Error).message))) throw new StateConflictError(state.userKey);
      throw error;
    }
  }
}
