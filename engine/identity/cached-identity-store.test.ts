import { describe, expect, it } from 'vitest';
import { CachedIdentityStore } from './cached-identity-store';
import { IdentityConflictError, MemoryIdentityStore, type PersonRecord } from './identity-store';

const person = (id: string, anonymousIds: string[] = []): PersonRecord => ({ v: 1, id, createdAt: 1, identifiers: { anonymousId: anonymousIds }, merges: [], refusals: [] });

function setup(options: { maxEntries?: number; ttlMs?: number } = {}) {
  const inner = new MemoryIdentityStore();
  let now = 0;
  const cache = new CachedIdentityStore(inner, { ...options, now: () => now });
  return { inner, cache, advance: (ms: number) => (now += ms) };
}

describe('CachedIdentityStore', () => {
  it('answers what it wrote without reading again, revision included', async () => {
    const { cache } = setup();
    const revision = await cache.putPerson(person('a', ['d1']), 0);
    expect(await cache.getPerson('a')).toEqual({ value: person('a', ['d1']), revision });
    expect(cache.misses).toBe(0);
    expect(await cache.getIdentifier({ type: 'userId', value: 'u' })).toBeNull();
    expect(await cache.getIdentifier({ type: 'userId', value: 'u' })).toBeNull();
    expect([cache.hits, cache.misses]).toEqual([2, 1]);
  });

  it('a write that lost a race drops the record, so the next read sees the graph', async () => {
    const { inner, cache } = setup();
    await cache.putPerson(person('a'), 0);
    const stale = (await cache.getPerson('a'))!;
    await inner.putPerson(person('a', ['changed-elsewhere']), stale.revision);
    await expect(cache.putPerson(person('a', ['mine']), stale.revision)).rejects.toBeInstanceOf(IdentityConflictError);
    expect((await cache.getPerson('a'))!.value.identifiers.anonymousId).toEqual(['changed-elsewhere']);
  });

  it('entries expire after the ttl and the oldest are dropped beyond maxEntries', async () => {
    const { inner, cache, advance } = setup({ ttlMs: 1000, maxEntries: 2 });
    await cache.putPerson(person('a'), 0);
    await inner.putPerson(person('a', ['x']), (await inner.getPerson('a'))!.revision);
    expect((await cache.getPerson('a'))!.value.identifiers.anonymousId).toEqual([]); // still cached
    advance(1001);
    expect((await cache.getPerson('a'))!.value.identifiers.anonymousId).toEqual(['x']);
    await cache.getPerson('b');
    await cache.getPerson('c'); // 'a' is the oldest of three: dropped
    const misses = cache.misses;
    await cache.getPerson('a');
    expect(cache.misses).toBe(misses + 1);
  });
});
