/**
 * The in-memory graph hands out its records themselves (no JSON copy per read), and the resolver copies
 * a person only when it changes it. So a plan that is never committed — a batch thrown away, a crash
 * before the commit — must leave the graph exactly as it was, whatever it decided: links, merges,
 * refused links. This fails if any change in plan() reaches a record without copying it first.
 */
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../events/envelope';
import { IdentifierTypes, IdentifierTypesConfig } from '../events/identifier-types';
import { IdentityResolver } from './identity-resolver';
import { livePerson, MemoryIdentityStore } from './identity-store';

let n = 0;
const at = '2026-11-28T10:00:00.000Z';
const track = (ids: { userId?: string; anonymousId?: string }): EventEnvelope => ({ type: 'track', event: 'page_viewed', properties: {}, context: {}, timestamp: at, messageId: `m${++n}`, ...ids });
const identify = (ids: { userId?: string; anonymousId?: string }, traits: Record<string, unknown>): EventEnvelope => ({ type: 'identify', traits, context: {}, timestamp: at, messageId: `m${++n}`, ...ids });

/** Every record of the graph as JSON, so a change anywhere inside one shows. */
async function snapshot(store: MemoryIdentityStore): Promise<string> {
  const records = await store.getMany(store.keys().map((key) => (key.startsWith('p.') ? { person: Buffer.from(key.slice(2), 'base64url').toString('utf8') } : null)).filter((key) => key !== null));
  const identifiers = ['a', 'b', 'c', 'u', 'v', 'w'].map((value) => ({ type: 'anonymousId', value }));
  const links = await store.getMany([...identifiers.map((identifier) => ({ identifier })), { identifier: { type: 'userId', value: 'u' } }, { identifier: { type: 'userId', value: 'v' } }]);
  return JSON.stringify([...records, ...links]);
}

describe('IdentityResolver.plan over the in-memory graph', () => {
  it('changes no stored record when its plan is not committed: links, merges and refused links', async () => {
    // email allows two values per person here, so a third is refused by the limit
    const types = new IdentifierTypes(IdentifierTypesConfig.parse({ userId: { priority: 1, unique: true }, email: { priority: 3, limit: 2, traits: ['email'], normalize: 'email' }, anonymousId: { priority: 10, limit: 25 } }), 'US');
    const store = new MemoryIdentityStore();
    const resolver = new IdentityResolver(store, types);
    const resolve = async (event: EventEnvelope) => resolver.commit(await resolver.plan(event, 1_000));
    await resolve(track({ anonymousId: 'a' }));
    await resolve(identify({ userId: 'u', anonymousId: 'b' }, { email: 'one@example.com' }));
    await resolve(identify({ userId: 'u' }, { email: 'two@example.com' }));
    await resolve(identify({ userId: 'v', anonymousId: 'c' }, {}));
    const before = await snapshot(store);

    const link = await resolver.plan(track({ userId: 'u', anonymousId: 'w' }), 2_000);
    expect(link.linked).toEqual([{ type: 'anonymousId', value: 'w' }]);
    const merge = await resolver.plan(track({ userId: 'u', anonymousId: 'a' }), 2_000);
    expect(merge.merges).toMatchObject([{ from: 'a', into: 'u' }]);
    const refusedMerge = await resolver.plan(track({ userId: 'u', anonymousId: 'c' }), 2_000);
    expect(refusedMerge.refusals).toMatchObject([{ reason: 'unique', otherPerson: 'v' }]);
    const refusedLink = await resolver.plan(identify({ userId: 'u' }, { email: 'three@example.com' }), 2_000);
    expect(refusedLink.refusals).toMatchObject([{ reason: 'limit' }]);

    expect(await snapshot(store)).toBe(before);
    // and what a plan writes is its own: committing one changes only what it said it would
    await resolver.commit(merge);
    expect((await livePerson(store, 'a'))!.value.id).toBe('u');
    expect((await livePerson(store, 'u'))!.value.identifiers.anonymousId).toEqual(['b', 'a']);
    expect((await livePerson(store, 'u'))!.value.refusals).toEqual([]);
  });
});
