/**
 * The person state store in memory, for the simulator and tests: the same contract as StateStore (the
 * KV one), checked by one suite (state-store.conformance.ts). Saves are compare-and-set on the revision
 * that was read; reads go through upgradeState like reads from KV, so a state seeded as an older
 * version (seedRaw) is read as the current one. States are never mutated in place, so it keeps the
 * objects it is given.
 */
import { emptyState, type UserState } from '../../engine/state/behavior-state';
import { upgradeState } from '../../engine/state/state-version';
import { followMerges, StateConflictError, type VersionedState } from './state-store';

export class MemoryStateStore {
  private readonly stored = new Map<string, { raw: unknown; revision: number }>();
  private revisions = 0;

  async load(userKey: string): Promise<VersionedState> {
    const entry = this.stored.get(userKey);
    return entry ? { state: upgradeState(entry.raw, userKey), revision: entry.revision } : { state: emptyState(userKey), revision: 0 };
  }

  async loadMany(userKeys: readonly string[]): Promise<Map<string, VersionedState>> {
    return new Map(await Promise.all(userKeys.map(async (userKey) => [userKey, await this.load(userKey)] as const)));
  }

  /** The live person's state, following merges (see followMerges). */
  async loadResolved(userKey: string): Promise<VersionedState> {
    return followMerges(userKey, (key) => this.load(key));
  }

  async save(state: UserState, revision: number): Promise<number> {
    return this.put(state.userKey, state, revision);
  }

  /** Every person with a stored state (the simulator's audiences scan them, as the engine scans the bucket). */
  userKeys(): string[] {
    return [...this.stored.keys()];
  }

  /** Stores what an older nudge stored (parsed JSON), as if it had written it. */
  async seedRaw(userKey: string, raw: unknown): Promise<number> {
    return this.put(userKey, raw, this.stored.get(userKey)?.revision ?? 0);
  }

  private put(userKey: string, raw: unknown, revision: number): number {
    if ((this.stored.get(userKey)?.revision ?? 0) !== revision) throw new StateConflictError(userKey);
    const next = ++this.revisions;
    this.stored.set(userKey, { raw, revision: next });
    return next;
  }
}
