/** Configuration of the pool coupon connector: one zod schema, read from the environment by `fromEnv`. */
import { z } from 'zod';
import { envNumber, envString, parseConfig, type Env } from '../../config';

export const couponPoolConfigSchema = z.object({
  poolsDir: z
    .string()
    .min(1)
    .default('rules/coupons')
    .describe(
      'Directory of code pools, one `<pool>.txt` per pool, one code per line; blank lines and lines ' +
        'starting with "#" are ignored. Relative paths start at the working directory. Pool files are ' +
        'append-only: codes are handed out in file order and the position is stored in KV.',
    ),
  bucket: z
    .string()
    .regex(/^[-\w]+$/, 'expected letters, digits, "-" and "_" only')
    .default('nudge_coupons')
    .describe('NATS KV bucket holding assignments and pool positions; created if missing.'),
  generatedLength: z
    .number()
    .int()
    .min(4)
    .max(51)
    .default(8)
    .describe('Characters in a generated code, not counting the prefix. Example: 8 -> "SAVE10-7K3QX9MD".'),
  secret: z
    .string()
    .min(16)
    .describe('HMAC key that makes generated codes unguessable yet the same on every retry. Rotating it changes future codes.'),
});

export type CouponPoolConfigInput = z.input<typeof couponPoolConfigSchema>;
export type CouponPoolConfig = z.output<typeof couponPoolConfigSchema>;

const envNames = {
  poolsDir: 'COUPON_POOLS_DIR',
  bucket: 'COUPON_BUCKET',
  generatedLength: 'COUPON_CODE_LENGTH',
  secret: 'COUPON_SECRET',
};

export function fromEnv(env: Env): CouponPoolConfig {
  const input = {
    poolsDir: envString(env.COUPON_POOLS_DIR),
    bucket: envString(env.COUPON_BUCKET),
    generatedLength: envNumber(env.COUPON_CODE_LENGTH),
    secret: envString(env.COUPON_SECRET) ?? 'nudge-dev-coupon-secret-change-me',
  };
  return parseConfig('coupon/pool', couponPoolConfigSchema, input, envNames);
}
