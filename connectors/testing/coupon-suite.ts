/** The contract of every CouponConnector: one code per (journey, step), never one code twice. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CouponConnector } from '../channels';
import { NonRetryableError } from '../errors';
import { rejectionOf } from './harness';

export interface CouponHarness {
  /** A connector with empty issuing state. */
  connector: CouponConnector;
  /** A pool holding exactly 20 codes, none issued yet. */
  pool: string;
  stop(): Promise<void>;
}

const POOL_SIZE = 20;

export function describeCouponConnector(name: string, setup: () => Promise<CouponHarness>): void {
  describe(`CouponConnector contract: ${name}`, () => {
    let harness: CouponHarness;
    beforeEach(async () => {
      harness = await setup();
    });
    afterEach(() => harness.stop());

    it('returns the same generated code when the same step asks twice', async () => {
      const first = await harness.connector.issue({ journeyId: 'j-1', stepId: 'coupon', prefix: 'SAVE10-' });
      const again = await harness.connector.issue({ journeyId: 'j-1', stepId: 'coupon', prefix: 'SAVE10-' });

      expect(first.code).toMatch(/^SAVE10-[0-9A-Z]+$/);
      expect(first.source).toBe('generated');
      expect(again).toEqual(first);
    });

    it('returns the same pool code when the same step asks twice', async () => {
      const first = await harness.connector.issue({ journeyId: 'j-1', stepId: 'coupon', pool: harness.pool });
      const again = await harness.connector.issue({ journeyId: 'j-1', stepId: 'coupon', pool: harness.pool });

      expect(first.source).toBe(harness.pool);
      expect(again).toEqual(first);
    });

    it('gives different steps different codes', async () => {
      const generatedA = await harness.connector.issue({ journeyId: 'j-1', stepId: 'a' });
      const generatedB = await harness.connector.issue({ journeyId: 'j-1', stepId: 'b' });
      const pooledA = await harness.connector.issue({ journeyId: 'j-2', stepId: 'a', pool: harness.pool });
      const pooledB = await harness.connector.issue({ journeyId: 'j-2', stepId: 'b', pool: harness.pool });

      expect(generatedA.code).not.toBe(generatedB.code);
      expect(pooledA.code).not.toBe(pooledB.code);
    });

    it('never hands out a pool code twice under concurrency, then reports the pool empty', async () => {
      const issued = await Promise.all(
        Array.from({ length: POOL_SIZE }, (_, i) => harness.connector.issue({ journeyId: `j-${i}`, stepId: 'coupon', pool: harness.pool })),
      );
      expect(new Set(issued.map((coupon) => coupon.code)).size).toBe(POOL_SIZE);

      const error = await rejectionOf(harness.connector.issue({ journeyId: 'j-late', stepId: 'coupon', pool: harness.pool }));
      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as NonRetryableError).reason).toBe('coupon_pool_empty');

      // An empty pool does not break idempotency for steps that already hold a code.
      expect(await harness.connector.issue({ journeyId: 'j-0', stepId: 'coupon', pool: harness.pool })).toEqual(issued[0]);
    });

    it('gives concurrent retries of one step a single code', async () => {
      const attempts = await Promise.all(
        Array.from({ length: 5 }, () => harness.connector.issue({ journeyId: 'j-1', stepId: 'coupon', pool: harness.pool })),
      );

      expect(new Set(attempts.map((coupon) => coupon.code)).size).toBe(1);
    });

    it('rejects an unknown pool as non-retryable (unknown_coupon_pool)', async () => {
      const error = await rejectionOf(harness.connector.issue({ journeyId: 'j-1', stepId: 'coupon', pool: 'no-such-pool' }));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as NonRetryableError).reason).toBe('unknown_coupon_pool');
    });
  });
}
