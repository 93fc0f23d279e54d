/** The NATS KV state store passes the state store suite (state-store.conformance.ts), and what only KV has. */
import { Kvm, type KV } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { natsPerFile } from '../../test/support/nats-per-file';
import { emptyState } from '../../engine/state/behavior-state';
import { stateStoreConformance } from './state-store.conformance';
import { StateStore, stateKey } from './state-store';

const nats = natsPerFile();

/** A store on a fresh bucket, reading many states in one request as the engine does. */
async function kvStore(): Promise<{ store: StateStore; kv: KV }> {
  const bucket = nats.bucketName('state_store_test');
  const kv = await new Kvm(nats.connection()).create(bucket, { history: 1 });
  return { store: new StateStore(kv, { jsm: await jetstreamManager(nats.connection()), bucket }), kv };
}

describe('KV bucket state store', () => {
  stateStoreConformance(async () => {
    const { store, kv } = await kvStore();
    return Object.assign(store, { seedRaw: (userKey: string, raw: unknown) => kv.put(stateKey(userKey), JSON.stringify(raw)) });
  });

  it('a deleted state (nudge erase) reads as a new person at the delete\'s revision, also in a read of many', async () => {
    const { store, kv } = await kvStore();
    const saved = await store.save(emptyState('ann'), 0);
    await kv.delete(stateKey('ann'));
    const { revision } = await store.load('ann');
    expect(revision).toBeGreaterThan(saved);
    expect(await store.load('ann')).toEqual({ state: emptyState('ann'), revision });
    expect((await store.loadMany(['ann', 'bob'])).get('ann')).toEqual({ state: emptyState('ann'), revision });
  });
});
