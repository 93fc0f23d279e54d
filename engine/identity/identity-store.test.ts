/**
 * One suite for both graph stores: the KV bucket (pipelined compare-and-set writes, many reads in one
 * request) and the in-memory twin the simulator uses must agree on revisions, conflicts and reads.
 */
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { identifierKey, IdentityConflictError, KvIdentityStore, MemoryIdentityStore, personKey, type IdentityGraphStore, type PersonRecord } from './identity-store';

const person = (id: string, anonymousIds: string[] = []): PersonRecord => ({ v: 1, id, createdAt: 1, identifiers: { anonymousId: anonymousIds }, merges: [], refusals: [] });
const device = (value: string) => ({ type: 'anonymousId', value });

let nats: NatsServerHandle;
let nc: NatsConnection;
let buckets = 0;
beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const kvStore = async (): Promise<{ store: KvIdentityStore; kv: KV }> => {
  const kv = await new Kvm(nc).create(`identity_store_test_${++buckets}`, { history: 1 });
  return { store: new KvIdentityStore(kv), kv };
};

describe.each([
  ['KV bucket', async () => (await kvStore()).store as IdentityGraphStore],
  ['memory', async () => new MemoryIdentityStore() as IdentityGraphStore],
])('%s identity store', (_name, open) => {
  it('creates, updates on the revision read and refuses a stale revision as IdentityConflictError', async () => {
    const store = await open();
    const created = await store.putPerson(person('a'), 0);
    await expect(store.putPerson(person('a', ['x']), 0)).rejects.toBeInstanceOf(IdentityConflictError);
    const updated = await store.putPerson(person('a', ['d1']), created);
    expect(await store.getPerson('a')).toEqual({ value: person('a', ['d1']), revision: updated });
    await expect(store.putPerson(person('a', ['d2']), created)).rejects.toBeInstanceOf(IdentityConflictError);
    await store.putIdentifier(device('d1'), 'a', 0, 7);
    expect((await store.getIdentifier(device('d1')))!.value).toEqual({ person: 'a', seq: 7 });
  });

  it('reads many records at once: those it has, null for those it has not', async () => {
    const store = await open();
    const revision = await store.putPerson(person('a', ['d1']), 0);
    await store.putIdentifier(device('d1'), 'a', 0);
    const records = await store.getMany!([{ person: 'a' }, { person: 'nobody' }, { identifier: device('d1') }, { identifier: device('unknown') }]);
    expect(records.get(personKey('a'))).toEqual({ value: person('a', ['d1']), revision });
    expect(records.get(personKey('nobody'))).toBeNull();
    expect(records.get(identifierKey(device('d1')))?.value).toEqual({ person: 'a' });
    expect(records.get(identifierKey(device('unknown')))).toBeNull();
  });
});

describe('KV bucket identity store', () => {
  it('creates over a key an erase deleted, and leaves a record that does not parse out of a read of many', async () => {
    const { store, kv } = await kvStore();
    await store.putPerson(person('gone'), 0);
    await kv.delete(personKey('gone'));
    expect(await store.getPerson('gone')).toBeNull();
    await store.putPerson(person('gone', ['again']), 0);
    expect((await store.getPerson('gone'))!.value.identifiers.anonymousId).toEqual(['again']);

    await kv.put(identifierKey(device('corrupt')), 'not json');
    const records = await store.getMany([{ identifier: device('corrupt') }, { person: 'gone' }]);
    expect(records.has(identifierKey(device('corrupt')))).toBe(false); // the plan's own read fails, for that event alone
    expect(records.get(personKey('gone'))?.value).toMatchObject({ id: 'gone' });
  });
});
