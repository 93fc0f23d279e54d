/**
 * One suite for both person state stores: NATS KV (the engine's and worker's, state-store.int.test.ts)
 * and the in-memory twin (the simulator's, state-store.test.ts) must agree on revisions, conflicts,
 * reads of many, following merges and upgrading what an older version stored.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { emptyState, type UserState } from '../../engine/state/behavior-state';
import { STATE_VERSION, UnreadableStateError } from '../../engine/state/state-version';
import { StateConflictError, type VersionedState } from './state-store';

export interface StateStoreUnderTest {
  load(userKey: string): Promise<VersionedState>;
  loadMany(userKeys: readonly string[]): Promise<Map<string, VersionedState>>;
  loadResolved(userKey: string): Promise<VersionedState>;
  save(state: UserState, revision: number): Promise<number>;
  /** Stores parsed JSON under the user's key as an older nudge would have written it. */
  seedRaw(userKey: string, raw: unknown): Promise<unknown>;
}

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../engine/state/fixtures/${name}`, import.meta.url), 'utf8')) as { userKey: string };

/** The cases, each on an empty store from `open`. */
export function stateStoreConformance(open: () => Promise<StateStoreUnderTest>): void {
  it('a person without a state reads as an empty one at revision 0', async () => {
    const store = await open();
    expect(await store.load('nobody')).toEqual({ state: emptyState('nobody'), revision: 0 });
  });

  it('saves on the revision read, and refuses a stale one as StateConflictError', async () => {
    const store = await open();
    const first = await store.save({ ...emptyState('ann'), traits: { plan: 'team' } }, 0);
    await expect(store.save(emptyState('ann'), 0)).rejects.toBeInstanceOf(StateConflictError);
    const second = await store.save({ ...emptyState('ann'), traits: { plan: 'pro' } }, first);
    expect(second).toBeGreaterThan(first);
    expect(await store.load('ann')).toEqual({ state: { ...emptyState('ann'), traits: { plan: 'pro' } }, revision: second });
    await expect(store.save(emptyState('ann'), first)).rejects.toBeInstanceOf(StateConflictError);
  });

  it('reads many at once, the missing ones empty', async () => {
    const store = await open();
    const revision = await store.save({ ...emptyState('ann'), clock: 5 }, 0);
    const states = await store.loadMany(['ann', 'bob']);
    expect(states.get('ann')).toEqual({ state: { ...emptyState('ann'), clock: 5 }, revision });
    expect(states.get('bob')).toEqual({ state: emptyState('bob'), revision: 0 });
  });

  it('follows merges to the live person', async () => {
    const store = await open();
    await store.save({ ...emptyState('anon'), mergedInto: 'ann' }, 0);
    const revision = await store.save({ ...emptyState('ann'), traits: { name: 'Ann' } }, 0);
    expect(await store.loadResolved('anon')).toEqual({ state: { ...emptyState('ann'), traits: { name: 'Ann' } }, revision });
  });

  it('reads a state an older version stored as the current version, one at a time and many at once', async () => {
    const store = await open();
    const old = fixture('v1-before-notices.json');
    await store.seedRaw(old.userKey, old);
    const { state } = await store.load(old.userKey);
    expect(state.v).toBe(STATE_VERSION);
    expect(Object.values(state.journeys).map((marker) => marker.endNotice)).toEqual([false]);
    expect((await store.loadMany([old.userKey, 'other'])).get(old.userKey)?.state).toEqual(state);
    // Saved back, it is a current state.
    const saved = await store.save(state, (await store.load(old.userKey)).revision);
    expect(await store.load(old.userKey)).toEqual({ state, revision: saved });
  });

  it('refuses a state from a newer version, naming the user and the version', async () => {
    const store = await open();
    await store.seedRaw('ann', { ...emptyState('ann'), v: 4 });
    await expect(store.load('ann')).rejects.toThrow(UnreadableStateError);
    await expect(store.load('ann')).rejects.toThrow(/user "ann".*schema version 4, written by a newer nudge/);
  });
}
