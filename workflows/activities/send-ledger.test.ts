/** The in-memory send ledger (the simulator's) passes the send ledger suite (send-ledger.conformance.ts). */
import { describe } from 'vitest';
import { sendLedgerConformance } from './send-ledger.conformance';
import { MemorySendLedger } from './send-ledger';

describe('memory send ledger', () => {
  sendLedgerConformance(async () => new MemorySendLedger());
});
