/**
 * Redirect-following reads: loadResolved follows `mergedInto` to the live person (across several
 * merges), and a chain that loops or runs too long fails loudly instead of reading a tombstone.
 */
import type { KV } from '@nats-io/kv';
import { describe, expect, it } from 'vitest';
import { emptyState, type UserState } from '../../engine/state/behavior-state';
import { MAX_MERGE_HOPS, MergeChainError, StateStore, stateKey } from './state-store';

/** Just enough of a KV bucket for reads. */
function storeWith(states: UserState[]): StateStore {
  const entries = new Map(states.map((state, i) => [stateKey(state.userKey), { operation: 'PUT', revision: i + 1, json: () => state }]));
  return new StateStore({ get: async (key: string) => entries.get(key) ?? null } as unknown as KV);
}

const tombstone = (id: string, into: string): UserState => ({ ...emptyState(id), mergedInto: into });
const live = (id: string): UserState => ({ ...emptyState(id), traits: { name: id } });

describe('StateStore.loadResolved', () => {
  it('returns a live person as load does', async () => {
    const store = storeWith([live('alice')]);
    expect(await store.loadResolved('alice')).toEqual(await store.load('alice'));
  });

  it('follows a chain of merges to the live person, with its revision', async () => {
    const store = storeWith([tombstone('anon-1', 'bob'), tombstone('bob', 'alice'), live('alice')]);
    expect(await store.loadResolved('anon-1')).toEqual({ state: live('alice'), revision: 3 });
  });

  it('a survivor with no state yet reads as its empty state', async () => {
    const store = storeWith([tombstone('anon-1', 'alice')]);
    expect(await store.loadResolved('anon-1')).toEqual({ state: emptyState('alice'), revision: 0 });
  });

  it('a cycle is a MergeChainError naming the chain', async () => {
    const store = storeWith([tombstone('a', 'b'), tombstone('b', 'a')]);
    await expect(store.loadResolved('a')).rejects.toThrow(MergeChainError);
    await expect(store.loadResolved('a')).rejects.toThrow('a → b → a');
  });

  it(`follows at most ${MAX_MERGE_HOPS} hops`, async () => {
    const chain = (hops: number) => [...Array.from({ length: hops }, (_, i) => tombstone(`p${i}`, `p${i + 1}`)), live(`p${hops}`)];
    expect((await storeWith(chain(MAX_MERGE_HOPS)).loadResolved('p0')).state.userKey).toBe(`p${MAX_MERGE_HOPS}`);
    await expect(storeWith(chain(MAX_MERGE_HOPS + 1)).loadResolved('p0')).rejects.toThrow(MergeChainError);
  });
});
