/**
 * The one token format of inbound links (unsubscribe links, tracked clicks, open pixels, message refs):
 * base64url(JSON payload) "." base64url(HMAC-SHA256(secret, base64url payload)). The link itself is the
 * proof — no database lookup — and a forged, edited or foreign-keyed token verifies to null.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';

/** Longest token accepted; real ones are ~150–600 characters (a click token carries its target URL). */
export const MAX_SIGNED_TOKEN_LENGTH = 4096;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const sign = (payload: string, secret: string) => createHmac('sha256', secret).update(payload).digest();

/** Signs `fields` as given (the caller fixes the key order, so one value has one token). */
export function signToken(fields: Record<string, unknown>, secret: string): string {
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${sign(payload, secret).toString('base64url')}`;
}

/** The payload of a genuine token that fits `schema`; null for anything forged, edited, malformed or signed with another secret. */
export function verifyToken<Schema extends z.ZodType>(token: string, secret: string, schema: Schema, maxLength = MAX_SIGNED_TOKEN_LENGTH): z.output<Schema> | null {
  if (token.length > maxLength || !TOKEN_SHAPE.test(token)) return null;
  const [payload, signature] = token.split('.') as [string, string];
  const expected = sign(payload, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  // base64url decoding ignores a last character's spare bits: accept only the one canonical spelling,
  // so one payload has exactly one token (and one event messageId derived from it).
  if (given.toString('base64url') !== signature) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
