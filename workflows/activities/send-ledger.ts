/**
 * The send ledger: one record per (journey, step) in NATS KV, written before and after every provider
 * call. A retried or replayed activity finds the record and returns the earlier result instead of
 * sending again. A record left `pending` means a previous attempt died between the provider call and
 * recording its outcome: the outcome is unknown, and it is never silently re-sent.
 */
import type { KV } from '@nats-io/kv';

export type LedgerStatus = 'pending' | 'sent' | 'failed';

export interface LedgerRecord {
  status: LedgerStatus;
  channel: string;
  journeyId: string;
  stepId: string;
  at: string;
  to?: string;
  providerMessageId?: string;
  details?: Record<string, string | number>;
  reason?: string;
}

export const ledgerKey = (journeyId: string, stepId: string) => `s.${Buffer.from(journeyId).toString('base64url')}.${stepId}`;

export class SendLedger {
  constructor(private readonly kv: KV) {}

  async get(journeyId: string, stepId: string): Promise<{ record: LedgerRecord; revision: number } | null> {
    const entry = await this.kv.get(ledgerKey(journeyId, stepId));
    if (!entry || entry.operation !== 'PUT') return null;
    return { record: entry.json<LedgerRecord>(), revision: entry.revision };
  }

  /** Claims the (journey, step) slot; false when another attempt already holds it. */
  async claim(record: LedgerRecord): Promise<number | null> {
    try {
      return await this.kv.create(ledgerKey(record.journeyId, record.stepId), JSON.stringify(record));
    } catch (error) {
      if (/wrong last sequence|key exists/i.test(String((error as Error).message))) return null;
      throw error;
    }
  }

  async settle(record: LedgerRecord, revision: number): Promise<void> {
    await this.kv.update(ledgerKey(record.journeyId, record.stepId), JSON.stringify(record), revision);
  }

  /** Releases a claim whose provider call certainly did not deliver (typed transient failure). */
  async release(journeyId: string, stepId: string, revision: number): Promise<void> {
    await this.kv.delete(ledgerKey(journeyId, stepId), { previousSeq: revision });
  }
}
