/**
 * Frequency caps across all rules: per user and channel, the sends inside the cap's sliding window.
 * Reserving a slot is compare-and-set on one KV key, so two journeys racing for the last slot cannot
 * both win; a reservation is keyed by (journey, step), so a retried activity does not take a second slot.
 */
import type { KV } from '@nats-io/kv';
import type { FrequencyCap } from '../../rules/schema/guardrails';
import { parseDuration } from '../../rules/schema/parse-duration';
import { isCasFailure } from '../../engine/nats/compare-and-set';

export type Reservation = { granted: true } | { granted: false; retryAt: number };

export interface CapStore {
  /**
   * `userId` is the live person's id (the loaded state's userKey), never a merged-away id, so the
   * journeys of both halves of a merged person share one count.
   */
  reserve(userId: string, channel: string, sendKey: string, now: number, cap: FrequencyCap): Promise<Reservation>;
}

interface CapRecord {
  sends: { at: number; key: string }[];
}

/** The decision, given the current record; pure so both stores share it. */
export function decide(record: CapRecord, sendKey: string, now: number, cap: FrequencyCap): { reservation: Reservation; next?: CapRecord } {
  const windowMs = parseDuration(cap.per);
  const recent = record.sends.filter((s) => s.at > now - windowMs);
  if (recent.some((s) => s.key === sendKey)) return { reservation: { granted: true } };
  if (recent.length >= cap.max) {
    const oldest = Math.min(...recent.map((s) => s.at));
    return { reservation: { granted: false, retryAt: oldest + windowMs + 1 } };
  }
  return { reservation: { granted: true }, next: { sends: [...recent, { at: now, key: sendKey }] } };
}

const capKey = (userId: string, channel: string) => `c.${Buffer.from(userId).toString('base64url') || '_'}.${channel}`;

export class KvCapStore implements CapStore {
  constructor(private readonly kv: KV) {}

  async reserve(userId: string, channel: string, sendKey: string, now: number, cap: FrequencyCap): Promise<Reservation> {
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
        // another journey took a slot meanwhile: read again and decide again
      }
    }
    throw new Error(`frequency cap of ${userId}/${channel} kept changing; giving up for now`);
  }
}

export class MemoryCapStore implements CapStore {
  private readonly records = new Map<string, CapRecord>();

  async reserve(userId: string, channel: string, sendKey: string, now: number, cap: FrequencyCap): Promise<Reservation> {
    const key = capKey(userId, channel);
    const { reservation, next } = decide(this.records.get(key) ?? { sends: [] }, sendKey, now, cap);
    if (next) this.records.set(key, next);
    return reservation;
  }
}
