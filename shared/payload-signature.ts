/**
 * Time-stamped HMAC signatures of an HTTP body: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
 * The timestamp is signed with the body so a captured request cannot be replayed later. Nudge signs its
 * webhooks with it (X-Nudge-Signature) and checks providers' callbacks that use the same scheme (the
 * HTTP SMS API's X-Signature).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PREFIX = 'sha256=';

export function signPayload(secret: string, timestamp: number | string, body: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * True when `header` is the signature of `body` at `timestamp` and the timestamp is within
 * `toleranceSeconds` of now. Compares in constant time.
 */
export function verifyPayloadSignature(
  secret: string,
  timestamp: number | string,
  body: string,
  header: string | null | undefined,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const sentAt = Number(timestamp);
  if (!header || !Number.isInteger(sentAt) || Math.abs(nowSeconds - sentAt) > toleranceSeconds) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body));
  const actual = Buffer.from(header);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
