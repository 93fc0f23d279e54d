/**
 * Which user owns a phone number, so an inbound SMS ("STOP" from +14155550100) can be attributed to a
 * profile. A NATS KV bucket keyed by the number's E.164 digits; the engine calls `set` when an identify
 * event carries a phone trait. One number belongs to one user: the latest `set` wins.
 */
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { normalisePhone, type PhoneRegion } from '../../shared/phone';
import { openBucket, type Replication } from '../../platform/nats/setup';

export const PHONES_BUCKET = 'nudge_phones';

/** KV keys allow only [-/_=.a-zA-Z0-9]: the E.164 number without its "+". */
const keyOf = (e164: string) => e164.slice(1);

/** What the inbound service needs from the directory. */
export interface PhoneLookup {
  lookup(phone: string): Promise<string | null>;
}

export class PhoneDirectory implements PhoneLookup {
  /**
   * @param region country of numbers written without "+<country code>" (profile traits like
   *   "(415) 555-0100"); Twilio always sends E.164. The configured NUDGE_PHONE_REGION, as identity and
   *   SMS sends read numbers, so the number a person was texted at is the number filed here.
   */
  constructor(
    private readonly kv: KV,
    private readonly region: PhoneRegion,
  ) {}

  static async open(nc: NatsConnection, region: PhoneRegion, replication: Replication = {}): Promise<PhoneDirectory> {
    return new PhoneDirectory(await openBucket(nc, PHONES_BUCKET, replication), region);
  }

  /** Records that `phone` belongs to `userId`; returns the E.164 number stored, or null (nothing stored) when `phone` is not a valid number. */
  async set(phone: string, userId: string): Promise<string | null> {
    const e164 = normalisePhone(phone, this.region);
    if (!e164) return null;
    await this.kv.put(keyOf(e164), JSON.stringify({ userId }));
    return e164;
  }

  /** The user owning `phone`, or null for an unknown or invalid number. */
  async lookup(phone: string): Promise<string | null> {
    const e164 = normalisePhone(phone, this.region);
    if (!e164) return null;
    const entry = await this.kv.get(keyOf(e164));
    if (!entry || entry.operation !== 'PUT') return null;
    return entry.json<{ userId: string }>().userId;
  }

  async remove(phone: string): Promise<void> {
    const e164 = normalisePhone(phone, this.region);
    if (e164) await this.kv.delete(keyOf(e164));
  }
}
