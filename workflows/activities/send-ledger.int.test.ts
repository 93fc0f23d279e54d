/** The NATS KV send ledger (the worker's) passes the send ledger suite (send-ledger.conformance.ts). */
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { sendLedgerConformance } from './send-ledger.conformance';
import { SendLedger } from './send-ledger';

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

describe('KV bucket send ledger', () => {
  sendLedgerConformance(async () => new SendLedger(await new Kvm(nc).create(`send_ledger_test_${++buckets}`, { history: 1 })));
});
