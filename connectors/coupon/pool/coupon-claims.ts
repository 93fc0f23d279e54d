/**
 * Where the pool connector keeps what it handed out: per (journey, step) the assignment, per pool the
 * cursor of the next unused code. Both need compare-and-set, nothing more, so the store is a small
 * port with two implementations: NATS KV (workers) and memory (the simulator), passing one suite.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';

export interface CouponClaimStore {
  get(key: string): Promise<{ value: string; revision: number } | null>;
  /** false: the key exists (another issuer created it first). */
  create(key: string, value: string): Promise<boolean>;
  /** false: the key changed since `revision`. */
  update(key: string, value: string, revision: number): Promise<boolean>;
}

export class KvCouponClaims implements CouponClaimStore {
  constructor(private readonly kv: KV) {}

  async get(key: string): Promise<{ value: string; revision: number } | null> {
    const entry = await this.kv.get(key);
    return entry?.operation === 'PUT' ? { value: entry.string(), revision: entry.revision } : null;
  }

  async create(key: string, value: string): Promise<boolean> {
    return this.conflictIsFalse(() => this.kv.create(key, value));
  }

  async update(key: string, value: string, revision: number): Promise<boolean> {
    return this.conflictIsFalse(() => this.kv.update(key, value, revision));
  }

  private async conflictIsFalse(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }
}

/** The simulator's store: the same compare-and-set answers, in one process. */
export class MemoryCouponClaims implements CouponClaimStore {
  private readonly entries = new Map<string, { value: string; revision: number }>();
  private revision = 0;

  async get(key: string): Promise<{ value: string; revision: number } | null> {
    return this.entries.get(key) ?? null;
  }

  async create(key: string, value: string): Promise<boolean> {
    if (this.entries.has(key)) return false;
    this.entries.set(key, { value, revision: ++this.revision });
    return true;
  }

  async update(key: string, value: string, revision: number): Promise<boolean> {
    if (this.entries.get(key)?.revision !== revision) return false;
    this.entries.set(key, { value, revision: ++this.revision });
    return true;
  }
}

/** The key changed since we read it (or was created concurrently). */
function isRevisionConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
