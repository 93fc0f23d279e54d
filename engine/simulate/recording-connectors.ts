/**
 * The simulator's connectors: they validate and decide like the real ones (E.164 phone numbers) but
 * deliver nothing; every message is recorded for the simulation output. Coupons are the real pool
 * connector on an in-memory claim store: the same pools, cursors and generator as workers, one
 * implementation.
 */
import type { ConnectorSet } from '../../connectors/channels';
import { fromEnv as couponConfigFromEnv } from '../../connectors/coupon/pool/coupon-pool.config';
import { PoolCouponConnector } from '../../connectors/coupon/pool/coupon-pool.connector';
import { MemoryCouponClaims } from '../../connectors/coupon/pool/coupon-claims';
import { smsRecipient } from '../../connectors/sms/recipient';
import { phoneRegionFromEnv } from '../../shared/phone';

export function recordingConnectors(env: NodeJS.ProcessEnv = process.env): ConnectorSet {
  const coupon = new PoolCouponConnector({ claims: new MemoryCouponClaims() }, couponConfigFromEnv(env));
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
    coupon,
  };
}
