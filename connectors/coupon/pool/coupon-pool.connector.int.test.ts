import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../../dev/servers/nats';
import { ConnectorConfigError, NonRetryableError, TransientDeliveryError } from '../../errors';
import { describeCouponConnector } from '../../testing/connector-suite';
import { rejectionOf } from '../../testing/harness';
import { fromEnv, type CouponPoolConfigInput } from './coupon-pool.config';
import { PoolCouponConnector } from './coupon-pool.connector';
import { KvCouponClaims } from './coupon-claims';
import { parsePoolFile } from './coupon-pool-files';

let nats: NatsServerHandle;
let nc: NatsConnection;
let poolsDir: string;
let bucketCounter = 0;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  poolsDir = mkdtempSync(join(tmpdir(), 'nudge-coupons-'));
  const codes = Array.from({ length: 20 }, (_, i) => `SPRING-${String(i + 1).padStart(2, '0')}`);
  writeFileSync(join(poolsDir, 'spring.txt'), ['# spring campaign codes', '', ...codes.slice(0, 10), '   ', ...codes.slice(10), ''].join('\n'));
  writeFileSync(join(poolsDir, 'vip.txt'), 'VIP-1\nVIP-2\n');
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** Each connector gets a bucket of its own, so tests never see each other's assignments. */
function config(overrides: Partial<CouponPoolConfigInput> = {}): CouponPoolConfigInput {
  return { poolsDir, bucket: `coupons_test_${process.pid}_${++bucketCounter}`, secret: 'test-coupon-secret-0123', ...overrides };
}

describeCouponConnector('pool', async () => ({
  connector: await PoolCouponConnector.open(nc, config()),
  pool: 'spring',
  stop: async () => {},
}));

describe('PoolCouponConnector', () => {
  it('hands out pool codes in file order, skipping blank lines and comments', async () => {
    const connector = await PoolCouponConnector.open(nc, config());
    const first = await connector.issue({ journeyId: 'j-1', stepId: 's', pool: 'spring' });
    const second = await connector.issue({ journeyId: 'j-2', stepId: 's', pool: 'spring' });

    expect([first, second]).toEqual([
      { code: 'SPRING-01', source: 'spring' },
      { code: 'SPRING-02', source: 'spring' },
    ]);
  });

  it('keeps assignments and pool positions across restarts (same bucket)', async () => {
    const shared = config();
    const before = await PoolCouponConnector.open(nc, shared);
    const issued = await before.issue({ journeyId: 'j-1', stepId: 's', pool: 'vip' });
    const after = await PoolCouponConnector.open(nc, shared);

    expect(await after.issue({ journeyId: 'j-1', stepId: 's', pool: 'vip' })).toEqual(issued);
    expect(await after.issue({ journeyId: 'j-2', stepId: 's', pool: 'vip' })).toEqual({ code: 'VIP-2', source: 'vip' });
  });

  it('generates the same code for a step even without stored state, and a different one for another secret', async () => {
    const request = { journeyId: 'j-1', stepId: 'welcome-coupon', prefix: 'WELCOME-' };
    const one = await (await PoolCouponConnector.open(nc, config())).issue(request);
    const fresh = await (await PoolCouponConnector.open(nc, config())).issue(request);
    const otherSecret = await (await PoolCouponConnector.open(nc, config({ secret: 'another-secret-0123456' }))).issue(request);

    expect(fresh).toEqual(one);
    expect(one.code).toMatch(/^WELCOME-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{8}$/);
    expect(otherSecret.code).not.toBe(one.code);
  });

  it('honours generatedLength', async () => {
    const connector = await PoolCouponConnector.open(nc, config({ generatedLength: 12 }));

    expect((await connector.issue({ journeyId: 'j', stepId: 's' })).code).toHaveLength(12);
  });

  it('accepts ids with characters KV keys do not allow, without mixing them up', async () => {
    const connector = await PoolCouponConnector.open(nc, config());
    const a = await connector.issue({ journeyId: 'user:42/cart abandoned', stepId: 'step.1*', pool: 'spring' });
    const b = await connector.issue({ journeyId: 'user:42', stepId: 'cart abandoned/step.1*', pool: 'spring' });

    expect(a.code).not.toBe(b.code);
    expect(await connector.issue({ journeyId: 'user:42/cart abandoned', stepId: 'step.1*', pool: 'spring' })).toEqual(a);
  });

  it('treats a missing pools directory as having no pools', async () => {
    const connector = await PoolCouponConnector.open(nc, config({ poolsDir: join(poolsDir, 'missing') }));
    const error = await rejectionOf(connector.issue({ journeyId: 'j', stepId: 's', pool: 'spring' }));

    expect((error as NonRetryableError).reason).toBe('unknown_coupon_pool');
    expect((await connector.issue({ journeyId: 'j', stepId: 's' })).source).toBe('generated');
  });

  it('reports an unreachable store as transient', async () => {
    const own = await connect({ servers: nats.url });
    const ownConfig = config();
    const connector = new PoolCouponConnector({ claims: new KvCouponClaims(await new Kvm(own).create(ownConfig.bucket!)) }, ownConfig);
    await own.close();

    expect(await rejectionOf(connector.issue({ journeyId: 'j', stepId: 's' }))).toBeInstanceOf(TransientDeliveryError);
  });
});

describe('pool files', () => {
  it('refuses a code listed twice, which would be handed out twice', () => {
    expect(() => parsePoolFile('A\nB\nA\n', 'dup.txt')).toThrow(ConnectorConfigError);
  });

  it('refuses pool names that cannot be KV keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-coupons-bad-'));
    writeFileSync(join(dir, 'spring sale.txt'), 'A\n');

    await expect(PoolCouponConnector.open(nc, config({ poolsDir: dir }))).rejects.toThrow(/spring sale\.txt/);
  });
});

describe('coupon pool config from the environment', () => {
  it('has development defaults', () => {
    expect(fromEnv({})).toEqual({
      poolsDir: 'rules/coupons',
      bucket: 'nudge_coupons',
      generatedLength: 8,
      secret: 'nudge-dev-coupon-secret-change-me',
    });
  });

  it.each([
    [{ COUPON_BUCKET: 'bad.name' }, 'COUPON_BUCKET'],
    [{ COUPON_CODE_LENGTH: '2' }, 'COUPON_CODE_LENGTH'],
    [{ COUPON_SECRET: 'short' }, 'COUPON_SECRET'],
  ])('names the bad variable: %o', (env, variable) => {
    expect(() => fromEnv(env)).toThrow(variable);
  });
});
