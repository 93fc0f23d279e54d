/**
 * The simulator's connectors: they validate and decide like the real ones (E.164 phone numbers, coupon
 * codes from the same pools and the same deterministic generator) but deliver nothing; every message
 * is recorded for the simulation output.
 */
import type { ConnectorSet, CouponRequest } from '../../connectors/channels';
import { NonRetryableError } from '../../connectors/errors';
import { fromEnv as couponConfigFromEnv } from '../../connectors/coupon/pool/coupon-pool.config';
import { loadCouponPools } from '../../connectors/coupon/pool/coupon-pool-files';
import { generateCouponCode } from '../../connectors/coupon/pool/generated-code';
import { smsRecipient } from '../../connectors/sms/recipient';
import { phoneRegionFromEnv } from '../../shared/phone';

export function recordingConnectors(env: NodeJS.ProcessEnv = process.env): ConnectorSet {
  const coupon = couponConfigFromEnv(env);
  const pools = loadCouponPools(coupon.poolsDir);
  const cursors = new Map<string, number>();
  const issued = new Map<string, { code: string; source: string }>();
  const country = phoneRegionFromEnv(env); // the region identity and the Twilio connector read numbers with
  // smsRecipient is pure and a simulation texts the same users again and again: a number found valid once is
  // not parsed again (an invalid one is, so its error is thrown as the Twilio connector throws it).
  const validPhones = new Map<string, string>();
  let sequence = 0;
  const id = (prefix: string) => `${prefix}-sim-${++sequence}`;

  return {
    email: { channel: 'email', provider: 'simulated', send: async () => ({ providerMessageId: id('email') }) },
    sms: {
      channel: 'sms',
      provider: 'simulated',
      send: async (message) => {
        let to = validPhones.get(message.to);
        if (to === undefined) {
          to = smsRecipient(message.to, country); // as every SMS connector normalises: invalid numbers are skipped
          validPhones.set(message.to, to);
        }
        return { providerMessageId: id('sms'), to };
      },
    },
    webhook: { channel: 'webhook', provider: 'simulated', send: async () => ({ providerMessageId: id('webhook'), status: 200 }) },
    coupon: {
      channel: 'coupon',
      provider: 'simulated',
      issue: async (request: CouponRequest) => {
        const key = JSON.stringify([request.journeyId, request.stepId]);
        const known = issued.get(key);
        if (known) return known;
        let result: { code: string; source: string };
        if (request.pool === undefined) {
          result = { code: generateCouponCode(coupon.secret, request.journeyId, request.stepId, coupon.generatedLength, request.prefix), source: 'generated' };
        } else {
          const codes = pools.get(request.pool);
          if (!codes) throw new NonRetryableError(`no coupon pool "${request.pool}" in ${coupon.poolsDir}`, 'unknown_coupon_pool');
          const next = cursors.get(request.pool) ?? 0;
          if (next >= codes.length) throw new NonRetryableError(`coupon pool "${request.pool}" is exhausted`, 'coupon_pool_empty');
          cursors.set(request.pool, next + 1);
          result = { code: codes[next]!, source: request.pool };
        }
        issued.set(key, result);
        return result;
      },
    },
  };
}
