/** The NATS KV identity store passes the graph store suite (identity-store.conformance.ts), and what only KV has. */
import { Kvm, type KV } from '@nats-io/kv';
import { describe, expect, it } from 'vitest';
import { natsPerFile } from '../../test/support/nats-per-file';
import { device, identityStoreConformance, person } from './identity-store.conformance';
import { identifierKey, KvIdentityStore, personKey } from './identity-store';

const nats = natsPerFile();

const kvStore = async (): Promise<{ store: KvIdentityStore; kv: KV }> => {
  const kv = await new Kvm(nats.connection()).create(nats.bucketName('identity_store_test'), { history: 1 });
  return { store: new KvIdentityStore(kv), kv };
};

describe('KV bucket identity store', () => {
  identityStoreConformance(async () => (await kvStore()).store);

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
