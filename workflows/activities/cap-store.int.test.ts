/** The NATS KV cap store (the worker's) passes the cap store suite (cap-store.conformance.ts). */
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { capStoreConformance } from './cap-store.conformance';
import { KvCapStore } from './frequency-caps';

let nats: NatsServerHandle;
const connections: NatsConnection[] = [];
let buckets = 0;
beforeAll(async () => {
  nats = await startNats();
  // Separate connections, so concurrent reservations really interleave on the server.
  for (let i = 0; i < 4; i++) connections.push(await connect({ servers: nats.url }));
});
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await nats?.stop();
});

describe('KV bucket cap store', () => {
  capStoreConformance(async () => {
    const name = `cap_store_test_${++buckets}`;
    await new Kvm(connections[0]!).create(name, { history: 1 });
    return Promise.all(connections.map(async (nc) => new KvCapStore(await new Kvm(nc).open(name))));
  });
});
