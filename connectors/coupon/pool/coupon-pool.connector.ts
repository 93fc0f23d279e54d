/**
 * Issues coupon codes from pool files or by generating them, recording every assignment in NATS KV so
 * that issuing is idempotent per (journeyId, stepId) across retries, workers and restarts.
 */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CouponConnector, CouponRequest, CouponResult } from '../../channels';
import { parseConfig, type Env } from '../../config';
import { DeliveryError, NonRetryableError, TransientDeliveryError } from '../../errors';
import { loadCouponPools, type CouponPools } from './coupon-pool-files';
import { couponPoolConfigSchema, fromEnv, type CouponPoolConfig, type CouponPoolConfigInput } from './coupon-pool.config';
import { generateCouponCode } from './generated-code';

/** Compare-and-set rounds before giving up; each lost round means another issuer got a code. */
const MAX_CLAIM_ATTEMPTS = 200;

interface StoredAssignment extends CouponResult {
  journeyId: string;
  stepId: string;
  issuedAt: string;
}

/** KV keys allow only [-/_=.a-zA-Z0-9]; base64url of the JSON pair fits and keeps ids unambiguous. */
export function assignmentKey(journeyId: string, stepId: string): string {
  return `assignment.${Buffer.from(JSON.stringify([journeyId, stepId])).toString('base64url')}`;
}

/** Holds the index of the next unused code of a pool. */
export function poolCursorKey(pool: string): string {
  return `cursor.${pool}`;
}

export class PoolCouponConnector implements CouponConnector {
  readonly channel = 'coupon' as const;
  readonly provider = 'pool';
  private readonly kv: KV;
  private readonly config: CouponPoolConfig;
  private pools: CouponPools;

  /** `kv` must be the bucket named in the config (see `open`); pool files are read here, once. */
  constructor(deps: { kv: KV }, config: CouponPoolConfigInput) {
    this.kv = deps.kv;
    this.config = parseConfig('coupon/pool', couponPoolConfigSchema, config);
    this.pools = loadCouponPools(this.config.poolsDir);
  }

  /**
   * Replaces the pools with a deployed rule set revision's (NUDGE_RULES_SOURCE=kv). Pool files are
   * append-only, so the cursors in KV stay valid: a new revision may add codes and pools, never reorder.
   */
  usePools(pools: CouponPools): void {
    this.pools = pools;
  }

  /** Creates the KV bucket if it does not exist yet, then builds the connector on it. */
  static async open(nats: NatsConnection | JetStreamClient, config: CouponPoolConfigInput): Promise<PoolCouponConnector> {
    const bucket = parseConfig('coupon/pool', couponPoolConfigSchema, config).bucket;
    const kv = await new Kvm(nats).create(bucket);
    return new PoolCouponConnector({ kv }, config);
  }

  static async fromEnv(env: Env, deps: { nc: NatsConnection }): Promise<PoolCouponConnector> {
    return PoolCouponConnector.open(deps.nc, fromEnv(env));
  }

  async issue(request: CouponRequest): Promise<CouponResult> {
    try {
      const key = assignmentKey(request.journeyId, request.stepId);
      const existing = await this.readAssignment(key);
      if (existing) return existing;
      const issued = request.pool !== undefined ? await this.claimPoolCode(request.pool) : this.generate(request);
      return await this.recordAssignment(key, request, issued);
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      throw new TransientDeliveryError(`coupon store unavailable: ${(error as Error).message}`, { cause: error });
    }
  }

  private generate(request: CouponRequest): CouponResult {
    const { secret, generatedLength } = this.config;
    return {
      code: generateCouponCode(secret, request.journeyId, request.stepId, generatedLength, request.prefix),
      source: 'generated',
    };
  }

  /** Takes the next unused code with compare-and-set on the pool cursor, so no code is handed out twice. */
  private async claimPoolCode(pool: string): Promise<CouponResult> {
    const codes = this.pools.get(pool);
    if (!codes) {
      const known = [...this.pools.keys()].join(', ') || 'none';
      throw new NonRetryableError(`no coupon pool "${pool}" in ${this.config.poolsDir} (known: ${known})`, 'unknown_coupon_pool');
    }
    const key = poolCursorKey(pool);
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const cursor = await this.kv.get(key);
      const live = cursor?.operation === 'PUT' ? cursor : null;
      const next = live ? Number(live.string()) : 0;
      if (next >= codes.length) {
        throw new NonRetryableError(`coupon pool "${pool}" has no unused codes left (${codes.length} issued)`, 'coupon_pool_empty');
      }
      try {
        if (live) await this.kv.update(key, String(next + 1), live.revision);
        else await this.kv.create(key, String(next + 1));
        return { code: codes[next]!, source: pool };
      } catch (error) {
        if (!isRevisionConflict(error)) throw error;
      }
    }
    throw new TransientDeliveryError(`coupon pool "${pool}": gave up after ${MAX_CLAIM_ATTEMPTS} contended claims`);
  }

  /**
   * First writer wins. If a concurrent attempt for the same step recorded first, its code is returned
   * and ours (if from a pool) stays unused: losing a code beats handing one step two codes.
   */
  private async recordAssignment(key: string, request: CouponRequest, issued: CouponResult): Promise<CouponResult> {
    const stored: StoredAssignment = {
      code: issued.code,
      source: issued.source,
      journeyId: request.journeyId,
      stepId: request.stepId,
      issuedAt: new Date().toISOString(),
    };
    try {
      await this.kv.create(key, JSON.stringify(stored));
      return issued;
    } catch (error) {
      if (!isRevisionConflict(error)) throw error;
      const winner = await this.readAssignment(key);
      if (!winner) throw error;
      return winner;
    }
  }

  private async readAssignment(key: string): Promise<CouponResult | undefined> {
    const entry = await this.kv.get(key);
    if (entry?.operation !== 'PUT') return undefined;
    const { code, source } = entry.json<StoredAssignment>();
    return { code, source };
  }
}

/** The key changed since we read it (or was created concurrently). */
function isRevisionConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
