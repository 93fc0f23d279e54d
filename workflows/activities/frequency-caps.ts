/**
 * Frequency caps across all rules: per person and channel, one history of every marketing send, whichever
 * rule sent it and whether or not that rule declares a cap; a cap counts the sends of that history
 * inside its own sliding window. Recording a send is compare-and-set on one KV key, so two journeys
 * racing for the last slot cannot both win and no concurrent send is lost. A send is recorded under the
 * send ledger's identity, `<journeyId>/<stepId>`, so a retried activity is counted once.
 */
import type { KV } from '@nats-io/kv';
import type { FrequencyCap } from '../../rules/schema/guardrails';
import { parseDuration } from '../../rules/schema/parse-duration';
import { isCasFailure } from '../../platform/nats/compare-and-set';

export type Reservation = { granted: true } | { granted: false; retryAt: number };

export interface CapStore {
  /**
   * Records the send `sendKey` in the person's history of `channel`: always when `cap` is null (the
   * rule has no cap, but its send counts for the rules that do), else only when fewer than `cap.max`
   * sends are inside `cap.per`. A key already recorded is granted again and not counted twice.
   * `userId` is the live person's id (the loaded state's userKey), never a merged-away id, so the
   * journeys of both halves of a merged person share one history.
   */
  reserve(userId: string, channel: string, sendKey: string, now: number, cap: FrequencyCap | null): Promise<Reservation>;
}

interface CapRecord {
  /** Oldest first. */
  sends: { at: number; key: string }[];
}

/**
 * A cap allows at most 1,000 sends per window (schema), so the newest 1,000 sends answer every cap of
 * any window exactly: a window holding all of them is full whatever else it holds. The history is not
 * cut by time, because caps of different rules have different windows and no store knows the longest.
 */
export const KEPT_SENDS = 1000;

/** The decision, given the current record; pure so both stores share it. */
export function decide(record: CapRecord, sendKey: string, now: number, cap: FrequencyCap | null): { reservation: Reservation; next?: CapRecord } {
  if (record.sends.some((s) => s.key === sendKey)) return { reservation: { granted: true } };
  if (cap) {
    const windowMs = parseDuration(cap.per);
    const inside = record.sends.filter((s) => s.at > now - windowMs).map((s) => s.at).sort((a, b) => b - a);
    // A slot frees once fewer than max sends are inside: when the max-th newest leaves the window
    // (sends of uncapped rules can make more than max).
    if (inside.length >= cap.max) return { reservation: { granted: false, retryAt: inside[cap.max - 1]! + windowMs + 1 } };
  }
  const sends = [...record.sends, { at: now, key: sendKey }].sort((a, b) => a.at - b.at).slice(-KEPT_SENDS);
  return { reservation: { granted: true }, next: { sends } };
}

const capKey = (userId: string, channel: string) => `c.${Buffer.from(userId).toString('base64url') || '_'}.${channel}`;

export class KvCapStore implements CapStore {
  constructor(private readonly kv: KV) {}

  async reserve(userId: string, channel: string, sendKey: string, now: number, cap: FrequencyCap | null): Promise<Reservation> {
    const key = capKey(userId, channel);
    for (let attempt = 0; attempt < 20; attempt++) {
      const entry = await this.kv.get(key);
      const exists = entry !== null && entry.operation === 'PUT';
      const { reservation, next } = decide(exists ? entry.json<CapRecord>() : { sends: [] }, sendKey, now, cap);
      if (!next) return reservation;
      try {
        if (entry) await this.kv.update(key, JSON.stringify(next), entry.revision);
        else await this.kv.create(key, JSON.stringify(next));
        return reservation;
      } catch (error) {
        if (!isCasFailure(error)) throw error;
        // another journey recorded a send meanwhile: read again and decide again
      }
    }
    throw new Error(`frequency cap of ${userId}/${channel} kept changing; giving up for now`);
  }
}

export class MemoryCapStore implements CapStore {
  private readonly records = new Map<string, CapRecord>();

  async reserve(userId: string, channel: string, sendKey: string, now: number, cap: FrequencyCap | null): Promise<Reservation> {
    const key = capKey(userId, channel);
    const { reservation, next } = decide(this.records.get(key) ?? { sends: [] }, sendKey, now, cap);
    if (next) this.records.set(key, next);
    return reservation;
  }
}
