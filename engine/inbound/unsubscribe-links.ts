/**
 * Signed unsubscribe links. A token names who unsubscribes from what (user, channel, topic) and carries
 * an HMAC-SHA256 over those fields, so the link itself is the proof: no login, no database lookup, and a
 * forged or edited link is refused. Tokens never expire — a link in a years-old email must still work
 * (RFC 8058 asks for that); rotating the secret invalidates every link sent before.
 *
 * Format: signed-token.ts.
 */
import { z } from 'zod';
import { IdentifierValue } from '../events/identifier-value';
import { signToken, verifyToken } from './signed-token';

export const UnsubscribeTarget = z
  .object({
    userId: IdentifierValue.describe('The user who unsubscribes (the events\' userId).'),
    channel: z.enum(['email', 'sms']).describe('The channel the link was sent on.'),
    topic: z.string().min(1).max(100).describe('What to stop: a topic such as "promotions", or "all".'),
  })
  .strict();

export type UnsubscribeTarget = z.output<typeof UnsubscribeTarget>;

/** Longest unsubscribe token accepted; real ones are ~150–400 characters. Anything longer is refused unread. */
export const MAX_TOKEN_LENGTH = 1024;

export function createUnsubscribeToken(target: UnsubscribeTarget, secret: string): string {
  const fields = UnsubscribeTarget.parse(target);
  return signToken({ userId: fields.userId, channel: fields.channel, topic: fields.topic }, secret);
}

/** The fields of a genuine token; null for anything forged, edited, malformed or signed with another secret. */
export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeTarget | null {
  return verifyToken(token, secret, UnsubscribeTarget, MAX_TOKEN_LENGTH);
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
