/** Deterministic coupon codes: the same (journey, step) always yields the same code, without storage. */
import { createHmac } from 'node:crypto';

/** Crockford's base32: no I, L, O or U, so codes survive being read aloud or retyped. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function generateCouponCode(secret: string, journeyId: string, stepId: string, length: number, prefix = ''): string {
  // A JSON pair, not "journey/step": ids may contain "/" and ("a/b","c") must not equal ("a","b/c").
  const digest = createHmac('sha256', secret).update(JSON.stringify([journeyId, stepId])).digest();
  return prefix + toCrockfordBase32(digest).slice(0, length);
}

function toCrockfordBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += CROCKFORD[(buffer << (5 - bits)) & 31];
  return out;
}
