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

/** What the send activities need from a ledger; NATS KV in production, memory in the simulator. */
export interface SendLedgerStore {
  get(journeyId: string, stepId: string): Promise<{ record: LedgerRecord; revision: number } | null>;
  /** Claims the (journey, step) slot; null when another attempt already holds it. */
  claim(record: LedgerRecord): Promise<number | null>;
  settle(record: LedgerRecord, revision: number): Promise<void>;
  release(journeyId: string, stepId: string, revision: number): Promise<void>;
}

export class SendLedger implements SendLedgerStore {
  constructor(private readonly kv: KV) {}

  async get(journeyId: string, stepId: string): Promise<{ record: LedgerRecord; revision: number } | null> {
    const entry = await this.kv.get(ledgerKey(journeyId, stepId));
    if (!entry || entry.operation !== 'PUT') return null;
    return { record: entry.json<LedgerRecord>(), revision: entry.revision };
  }

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

/** An in-memory ledger with the same semantics, for the simulator. */
export class MemorySendLedger implements SendLedgerStore {
  private readonly records = new Map<string, { record: LedgerRecord; revision: number }>();
  private revisions = 0;

  async get(journeyId: string, stepId: string) {
    return this.records.get(ledgerKey(journeyId, stepId)) ?? null;
  }

  async claim(record: LedgerRecord) {
    const key = ledgerKey(record.journeyId, record.stepId);
    if (this.records.has(key)) return null;
    const revision = ++this.revisions;
    this.records.set(key, { record, revision });
    return revision;
  }

  async settle(record: LedgerRecord, revision: number) {
    const key = ledgerKey(record.journeyId, record.stepId);
    if (this.records.get(key)?.revision !== revision) throw new Error(`ledger record ${key} changed concurrently`);
    this.records.set(key, { record, revision: ++this.revisions });
  }

  async release(journeyId: string, stepId: string, revision: number) {
    const key = ledgerKey(journeyId, stepId);
    if (this.records.get(key)?.revision === revision) this.records.delete(key);
  }
}
