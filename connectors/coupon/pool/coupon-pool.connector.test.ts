/**
 * The pool connector on the in-memory claim store (what the simulator issues with) passes the same
 * coupon contract as on NATS KV (coupon-pool.connector.int.test.ts), so a simulation hands out codes
 * exactly as workers do.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeCouponConnector } from '../../testing/connector-suite';
import { MemoryCouponClaims } from './coupon-claims';
import { PoolCouponConnector } from './coupon-pool.connector';

const poolsDir = mkdtempSync(join(tmpdir(), 'nudge-coupons-memory-'));
writeFileSync(join(poolsDir, 'spring.txt'), Array.from({ length: 20 }, (_, i) => `SPRING-${i + 1}`).join('\n'));
const connector = () => new PoolCouponConnector({ claims: new MemoryCouponClaims() }, { poolsDir, secret: 'test-coupon-secret-0123' });

describeCouponConnector('pool (in-memory claims)', async () => ({ connector: connector(), pool: 'spring', stop: async () => {} }));

describe('MemoryCouponClaims', () => {
  it('answers compare-and-set like KV: create once, update only on the revision read', async () => {
    const claims = new MemoryCouponClaims();
    expect(await claims.create('k', '1')).toBe(true);
    expect(await claims.create('k', '2')).toBe(false);
    const read = (await claims.get('k'))!;
    expect(await claims.update('k', '2', read.revision)).toBe(true);
    expect(await claims.update('k', '3', read.revision)).toBe(false);
    expect((await claims.get('k'))!.value).toBe('2');
    expect(await claims.get('missing')).toBeNull();
  });
});
