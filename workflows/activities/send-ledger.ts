/**
 * The send ledger: one record per (journey, step) in NATS KV, written before and after every provider
 * call. A retried or replayed activity finds the record and returns the earlier result instead of
 * sending again. A record left `pending` means a previous attempt died between the provider call and
 * recording its outcome: the outcome is unknown, and it is never silently re-sent.
 */
import type { KV } from '@nats-io/kv';
import { isCasFailure } from '../../platform/nats/compare-and-set';

/** pending: claimed, provider call under way; unknown: a claim found pending by a later attempt (the outcome is unknown). */
export type LedgerStatus = 'pending' | 'sent' | 'failed' | 'unknown';

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
  /** Latest delivery report from the provider (status callbacks), once one arrived. */
  delivery?: DeliveryReport;
}

/** A provider's delivery report, e.g. Twilio's MessageStatus "delivered" or "undelivered" + ErrorCode. */
export interface DeliveryReport {
  status: string;
  errorCode?: string;
  at: string;
}

export const ledgerKey = (journeyId: string, stepId: string) => `s.${Buffer.from(journeyId).toString('base64url')}.${stepId}`;

/** The inverse of `ledgerKey`; null for keys that are not per-(journey, step) records (anonymous ones, indexes). */
export function parseLedgerKey(key: string): { journeyId: string; stepId: string } | null {
  const match = /^s\.([A-Za-z0-9_-]+)\.(.+)$/.exec(key);
  if (!match) return null;
  return { journeyId: Buffer.from(match[1]!, 'base64url').toString('utf8'), stepId: match[2]! };
}

/** Keys of anonymous records (`nudge erase`): no journey id in them, so nothing points back to a user. */
export const ANONYMOUS_LEDGER_PREFIX = 'anon.';

/** A send with everything personal removed (recipient, content, journey, user): enough for aggregate counts. */
export interface AnonymousLedgerRecord {
  anonymous: true;
  status: LedgerStatus;
  channel: string;
  ruleId: string | null;
  stepId: string;
  /** Day of the send (YYYY-MM-DD, UTC); the time of day is dropped. */
  date: string;
}

export function anonymousRecordOf(record: LedgerRecord, ruleId: string | null): AnonymousLedgerRecord {
  return { anonymous: true, status: record.status, channel: record.channel, ruleId, stepId: record.stepId, date: record.at.slice(0, 10) };
}

/** Index entry: provider message id -> the (journey, step) whose send produced it. */
export const providerIdKey = (providerMessageId: string) => `p.${Buffer.from(providerMessageId).toString('base64url')}`;

export type DeliveryUpdate = 'updated' | 'ignored_older' | 'not_found';

/**
 * Delivery reports keyed by the provider's message id. Providers call back with their own id, so the
 * send activity records which (journey, step) an id belongs to right after settling the send.
 */
export interface DeliveryStatusStore {
  recordProviderId(providerMessageId: string, journeyId: string, stepId: string): Promise<void>;
  /** Stores `delivery` on the send's record; `not_found` when no send was recorded for the id (yet). */
  setDeliveryStatus(providerMessageId: string, status: string, errorCode?: string): Promise<DeliveryUpdate>;
}

/**
 * Status callbacks may arrive out of order ("sent" after "delivered"); a report never replaces one that
 * is further along. Statuses not listed (provider-specific) rank with "queued".
 */
const DELIVERY_PROGRESS: Record<string, number> = {
  accepted: 0, scheduled: 0, queued: 1, sending: 2, sent: 3,
  delivered: 4, undelivered: 4, failed: 4, canceled: 4, read: 5,
};
const progressOf = (status: string) => DELIVERY_PROGRESS[status] ?? 1;
/**
 * A final status is final: provider signatures (Twilio's) carry no timestamp, so a validly signed
 * callback can be replayed, and an `undelivered` replayed after `delivered` must not flip it. The only
 * step on from a final status is a delivered message being read.
 */
const FINAL_STEPS: Readonly<Record<string, readonly string[]>> = { delivered: ['read'], undelivered: [], failed: [], canceled: [], read: [] };

function withDelivery(record: LedgerRecord, status: string, errorCode: string | undefined, at: Date): LedgerRecord | null {
  const current = record.delivery?.status;
  if (current !== undefined && FINAL_STEPS[current] !== undefined && !FINAL_STEPS[current].includes(status)) return null;
  if (current !== undefined && progressOf(status) < progressOf(current)) return null;
  return { ...record, delivery: { status, ...(errorCode ? { errorCode } : {}), at: at.toISOString() } };
}

/** What the send activities need from a ledger; NATS KV in production, memory in the simulator. */
export interface SendLedgerStore {
  get(journeyId: string, stepId: string): Promise<{ record: LedgerRecord; revision: number } | null>;
  /** Claims the (journey, step) slot; null when another attempt already holds it. */
  claim(record: LedgerRecord): Promise<number | null>;
  settle(record: LedgerRecord, revision: number): Promise<void>;
  release(journeyId: string, stepId: string, revision: number): Promise<void>;
}

export class SendLedger implements SendLedgerStore, DeliveryStatusStore {
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
      if (isCasFailure(error)) return null;
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

  async recordProviderId(providerMessageId: string, journeyId: string, stepId: string): Promise<void> {
    await this.kv.put(providerIdKey(providerMessageId), JSON.stringify({ journeyId, stepId }));
  }

  async setDeliveryStatus(providerMessageId: string, status: string, errorCode?: string): Promise<DeliveryUpdate> {
    const index = await this.kv.get(providerIdKey(providerMessageId));
    if (!index || index.operation !== 'PUT') return 'not_found';
    const { journeyId, stepId } = index.json<{ journeyId: string; stepId: string }>();
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(journeyId, stepId);
      if (!current) return 'not_found';
      const next = withDelivery(current.record, status, errorCode, new Date());
      if (!next) return 'ignored_older';
      try {
        await this.kv.update(ledgerKey(journeyId, stepId), JSON.stringify(next), current.revision);
        return 'updated';
      } catch (error) {
        // Another callback for the same message won the compare-and-set: re-read and decide again.
        if (attempt >= 4 || !/wrong last sequence/i.test(String((error as Error).message))) throw error;
      }
    }
  }
}

// The memory ledger keys its map by journey and step directly: the KV key's base64 encoding would cost
// three encodings per send and means nothing in memory. Step ids have no line breaks, so keys are unique.
const memoryKey = (journeyId: string, stepId: string) => `${journeyId}\n${stepId}`;

/** An in-memory ledger with the same semantics, for the simulator. */
export class MemorySendLedger implements SendLedgerStore, DeliveryStatusStore {
  private readonly records = new Map<string, { record: LedgerRecord; revision: number }>();
  private readonly providerIds = new Map<string, { journeyId: string; stepId: string }>();
  private revisions = 0;

  async get(journeyId: string, stepId: string) {
    return this.records.get(memoryKey(journeyId, stepId)) ?? null;
  }

  async claim(record: LedgerRecord) {
    const key = memoryKey(record.journeyId, record.stepId);
    if (this.records.has(key)) return null;
    const revision = ++this.revisions;
    this.records.set(key, { record, revision });
    return revision;
  }

  async settle(record: LedgerRecord, revision: number) {
    const key = memoryKey(record.journeyId, record.stepId);
    if (this.records.get(key)?.revision !== revision) throw new Error(`ledger record ${ledgerKey(record.journeyId, record.stepId)} changed concurrently`);
    this.records.set(key, { record, revision: ++this.revisions });
  }

  async release(journeyId: string, stepId: string, revision: number) {
    const key = memoryKey(journeyId, stepId);
    // As KV's delete on a previous revision: a record settled since is never released.
    if (this.records.get(key)?.revision !== revision) throw new Error(`ledger record ${ledgerKey(journeyId, stepId)} changed concurrently`);
    this.records.delete(key);
  }

  async recordProviderId(providerMessageId: string, journeyId: string, stepId: string) {
    this.providerIds.set(providerMessageId, { journeyId, stepId });
  }

  async setDeliveryStatus(providerMessageId: string, status: string, errorCode?: string): Promise<DeliveryUpdate> {
    const send = this.providerIds.get(providerMessageId);
    const key = send && memoryKey(send.journeyId, send.stepId);
    const current = key && this.records.get(key);
    if (!key || !current) return 'not_found';
    const next = withDelivery(current.record, status, errorCode, new Date());
    if (!next) return 'ignored_older';
    this.records.set(key, { record: next, revision: ++this.revisions });
    return 'updated';
  }
}
