/** The NATS KV send ledger (the worker's) passes the send ledger suite (send-ledger.conformance.ts). */
import { Kvm } from '@nats-io/kv';
import { describe } from 'vitest';
import { natsPerFile } from '../../test/support/nats-per-file';
import { sendLedgerConformance } from './send-ledger.conformance';
import { SendLedger } from './send-ledger';

const nats = natsPerFile();

describe('KV bucket send ledger', () => {
  sendLedgerConformance(async () => new SendLedger(await new Kvm(nats.connection()).create(nats.bucketName('send_ledger_test'), { history: 1 })));
});
