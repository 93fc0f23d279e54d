/** The simulator issues coupons with the workers' pool connector (on in-memory claims), not a copy of it. */
import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../connectors/errors';
import { PoolCouponConnector } from '../../connectors/coupon/pool/coupon-pool.connector';
import { recordingConnectors } from './recording-connectors';

const env = { COUPON_POOLS_DIR: 'test/fixtures/coupons' };

describe('recordingConnectors: coupons', () => {
  it('are the pool connector', () => {
    expect(recordingConnectors(env).coupon).toBeInstanceOf(PoolCouponConnector);
  });

  it('hand out pool codes in order, the same code again to the same step, and refuse as workers do when the pool is empty', async () => {
    const { coupon } = recordingConnectors(env);
    const codes: string[] = [];
    for (let i = 0; ; i++) {
      const issued = await coupon.issue({ journeyId: `j${i}`, stepId: 'c', pool: 'test-pool' }).catch((error: unknown) => error);
      if (issued instanceof NonRetryableError) {
        expect([issued.reason, issued.message]).toEqual(['coupon_pool_empty', `coupon pool "test-pool" has no unused codes left (${codes.length} issued)`]);
        break;
      }
      codes.push((issued as { code: string }).code);
    }
    expect(codes.slice(0, 2)).toEqual(['POOL-A', 'POOL-B']);
    expect(await coupon.issue({ journeyId: 'j0', stepId: 'c', pool: 'test-pool' })).toEqual({ code: 'POOL-A', source: 'test-pool' });
  });
});
