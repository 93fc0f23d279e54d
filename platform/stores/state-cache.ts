/**
 * A partition's people, cached in memory by the one loop that owns the partition (it is their only
 * writer, so the cache cannot go stale while it owns them), least recently used evicted beyond a
 * capacity. Holds only committed states with the KV revision they were written at; the next write is
 * compare-and-set on that revision, so anything else that changed the key meanwhile (`nudge erase`, a
 * stale owner) is detected at the write and the loop replays from its checkpoint with an empty cache.
 */
import type { VersionedState } from './state-store';

export class StateCache {
  private readonly entries = new Map<string, VersionedState>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(userKey: string): VersionedState | undefined {
    const entry = this.entries.get(userKey);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Map iteration order is insertion order: re-inserting makes this the most recently used.
    this.entries.delete(userKey);
    this.entries.set(userKey, entry);
    return entry;
  }

  set(userKey: string, entry: VersionedState): void {
    this.entries.delete(userKey);
    this.entries.set(userKey, entry);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }
}
