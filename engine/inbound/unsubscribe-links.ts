/**
 * Signed unsubscribe links. A token names who unsubscribes from what (user, channel, topic) and carries
 * an HMAC-SHA256 over those fields, so the link itself is the proof: no login, no database lookup, and a
 * forged or edited link is refused. Tokens never expire — a link in a years-old email must still work
 * (RFC 8058 asks for that); rotating the secret invalidates every link sent before.
 *
 * Format: base64url(JSON payload) "." base64url(HMAC-SHA256(secret, base64url payload)).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { IdentifierValue } from '../events/identifier-value';

export const UnsubscribeTarget = z
  .object({
    userId: IdentifierValue.describe('The user who unsubscribes (the events\' userId).'),
    channel: z.enum(['email', 'sms']).describe('The channel the link was sent on.'),
    topic: z.string().min(1).max(100).describe('What to stop: a topic such as "promotions", or "all".'),
  })
  .strict();

export type UnsubscribeTarget = z.output<typeof UnsubscribeTarget>;

/** Longest token accepted; real ones are ~150–400 characters. Anything longer is refused unread. */
export const MAX_TOKEN_LENGTH = 1024;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const sign = (payload: string, secret: string) => createHmac('sha256', secret).update(payload).digest();

export function createUnsubscribeToken(target: UnsubscribeTarget, secret: string): string {
  const fields = UnsubscribeTarget.parse(target);
  const payload = Buffer.from(JSON.stringify({ userId: fields.userId, channel: fields.channel, topic: fields.topic })).toString('base64url');
  return `${payload}.${sign(payload, secret).toString('base64url')}`;
}

/** The fields of a genuine token; null for anything forged, edited, malformed or signed with another secret. */
export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeTarget | null {
  if (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) return null;
  const [payload, signature] = token.split('.') as [string, string];
  const expected = sign(payload, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  // base64url decoding ignores a last character's spare bits: accept only the one canonical spelling,
  // so one (user, channel, topic) has exactly one token and one event messageId.
  if (given.toString('base64url') !== signature) return null;
  try {
    const parsed = UnsubscribeTarget.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface UnsubscribeLinkSettings {
  /** Public base URL of the inbound service (NUDGE_PUBLIC_URL), e.g. "https://hooks.example.com". */
  baseUrl: string;
  /** Address of the mailto: alternative (NUDGE_UNSUBSCRIBE_MAILTO). */
  mailto: string;
  /** NUDGE_UNSUBSCRIBE_SECRET. */
  secret: string;
}

/** The landing page and one-click URL of a token: `<baseUrl>/u/<token>`. */
export const unsubscribeUrl = (baseUrl: string, token: string) => `${baseUrl.replace(/\/+$/, '')}/u/${token}`;

export interface UnsubscribeHeaders {
  'List-Unsubscribe': string;
  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click';
}

/**
 * The headers every marketing email carries (RFC 2369 + RFC 8058 one-click), for one user and topic:
 * `List-Unsubscribe: <https://…/u/TOKEN>, <mailto:…?subject=unsubscribe-TOKEN>` and
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. The https URI comes first, as Gmail and Yahoo
 * prefer it. Both headers must be covered by the DKIM signature for one-click to be honoured.
 */
export function unsubscribeHeaders(target: { userId: string; topic: string }, settings: UnsubscribeLinkSettings): UnsubscribeHeaders {
  const token = createUnsubscribeToken({ userId: target.userId, channel: 'email', topic: target.topic }, settings.secret);
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(settings.baseUrl, token)}>, <mailto:${settings.mailto}?subject=unsubscribe-${token}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
