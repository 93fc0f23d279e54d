/**
 * Leases in a NATS KV bucket whose entries expire (the bucket's max age is the lease TTL). A lease is
 * taken with `create` (succeeds only while nobody holds the key) and kept with compare-and-set
 * `update`s well within the TTL; an owner that dies stops renewing and its key ages out, so another
 * process can take it. Every write is compare-and-set, so two processes can never both believe a
 * renewal succeeded.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { isCasFailure } from '../../platform/nats/compare-and-set';

export const LEASES_BUCKET = 'nudge_leases';

/** What a lease or membership key says about its holder. */
export interface LeaseRecord {
  /** The engine process (host:pid:random). */
  owner: string;
  /** Fingerprint of the holder's rule set: engines with different rules must not share partitions. */
  fingerprint: string;
  /**
   * Set when the holder follows the deployed rule set (NUDGE_RULES_SOURCE=kv): the revision it runs
   * (null: none deployed yet). Such engines may differ for a moment during a roll-out; they converge.
   */
  rulesRevision?: number | null;
  /** For membership keys: partitions the engine owns by static configuration (NUDGE_OWNED_PARTITIONS). */
  staticPartitions?: number[];
  /** When the holder last renewed (ms), for humans reading the bucket. */
  at: number;
}

export interface HeldLease {
  record: LeaseRecord;
  revision: number;
}

export class LeaseStore {
  constructor(private readonly kv: KV, readonly ttlMs: number) {}

  static async open(nc: NatsConnection, ttlMs: number, replicas = 1): Promise<LeaseStore> {
    const kvm = new Kvm(nc);
    const kv = await kvm.create(LEASES_BUCKET, { history: 1, ttl: ttlMs, replicas });
    const status = await kv.status();
    // The TTL is the bucket's max age, fixed when it is created: a different setting must not be ignored silently.
    if (Math.abs(status.ttl - ttlMs) > 1) {
      throw new Error(`NATS KV bucket ${LEASES_BUCKET} was created with a lease TTL of ${status.ttl} ms but NUDGE_LEASE_TTL is ${ttlMs} ms; delete the bucket (nats kv rm ${LEASES_BUCKET}) while no engine runs, or use the same TTL`);
    }
    return new LeaseStore(kv, ttlMs);
  }

  /** Takes the lease if nobody holds it; null when somebody does. */
  async acquire(name: string, record: LeaseRecord): Promise<number | null> {
    try {
      return await this.kv.create(name, JSON.stringify(record));
    } catch (error) {
      if (isCasFailure(error)) return null;
      throw error;
    }
  }

  /** Renews a lease held at `revision`; null when it was lost (expired and taken, or deleted). */
  async renew(name: string, record: LeaseRecord, revision: number): Promise<number | null> {
    try {
      return await this.kv.update(name, JSON.stringify(record), revision);
    } catch (error) {
      if (isCasFailure(error)) return null;
      throw error;
    }
  }

  /** Gives a lease up at once (a graceful hand-over), if it is still held at `revision`. */
  async release(name: string, revision: number): Promise<void> {
    await this.kv.delete(name, { previousSeq: revision }).catch((error) => {
      if (!isCasFailure(error)) throw error;
    });
  }

  /** Every live lease and membership key. */
  async all(): Promise<Map<string, HeldLease>> {
    const held = new Map<string, HeldLease>();
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    await Promise.all(
      keys.map(async (key) => {
        const entry = await this.kv.get(key);
        if (entry && entry.operation === 'PUT') held.set(key, { record: entry.json<LeaseRecord>(), revision: entry.revision });
      }),
    );
    return held;
  }
}

