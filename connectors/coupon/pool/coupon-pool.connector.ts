/**
 * Issues coupon codes from pool files or by generating them, recording every assignment in a claim
 * store (NATS KV on workers, memory in the simulator) so that issuing is idempotent per (journeyId,
 * stepId) across retries, workers and restarts.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CouponConnector, CouponRequest, CouponResult } from '../../channels';
import { parseConfig, type Env } from '../../config';
import { DeliveryError, NonRetryableError, TransientDeliveryError } from '../../errors';
import { loadCouponPools, type CouponPools } from './coupon-pool-files';
import { couponPoolConfigSchema, fromEnv, type CouponPoolConfig, type CouponPoolConfigInput } from './coupon-pool.config';
import { generateCouponCode } from './generated-code';
import { KvCouponClaims, type CouponClaimStore } from './coupon-claims';

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
  private readonly claims: CouponClaimStore;
  private readonly config: CouponPoolConfig;
  private pools: CouponPools;

  /** On workers `claims` is the KV bucket named in the config (see `open`); pool files are read here, once. */
  constructor(deps: { claims: CouponClaimStore }, config: CouponPoolConfigInput) {
    this.claims = deps.claims;
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
    return new PoolCouponConnector({ claims: new KvCouponClaims(kv) }, config);
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
      const cursor = await this.claims.get(key);
      const next = cursor ? Number(cursor.value) : 0;
      if (next >= codes.length) {
        throw new NonRetryableError(`coupon pool "${pool}" has no unused codes left (${codes.length} issued)`, 'coupon_pool_empty');
      }
      const claimed = cursor ? await this.claims.update(key, String(next + 1), cursor.revision) : await this.claims.create(key, String(next + 1));
      if (claimed) return { code: codes[next]!, source: pool };
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
    if (await this.claims.create(key, JSON.stringify(stored))) return issued;
    const winner = await this.readAssignment(key);
    if (!winner) throw new TransientDeliveryError(`coupon assignment ${key} was taken and is gone again`);
    return winner;
  }

  private async readAssignment(key: string): Promise<CouponResult | undefined> {
    const entry = await this.claims.get(key);
    if (!entry) return undefined;
    const { code, source } = JSON.parse(entry.value) as StoredAssignment;
    return { code, source };
  }
}
