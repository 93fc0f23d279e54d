/**
 * Write keys: Segment's credentials. A tracker sends its key as the user name of HTTP Basic auth
 * (password empty), or — when it sends no Authorization header, like browser libraries — as `writeKey`
 * in the body. Each key is bound to a source name (NUDGE_WRITE_KEYS) that is recorded in the events,
 * and to the web origins allowed to send with it (cors.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { writeKeySettings, type WriteKeys } from '../../platform/write-key-entry';

export const BASIC_REALM = 'nudge collect';

export type WriteKeyCheck = { ok: true; source: string; allowedOrigins: readonly string[] } | { ok: false; reason: string };

/** The write key of a `Basic base64(writeKey:)` header; undefined when the header is not Basic auth. */
export function writeKeyOfAuthorization(header: string): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The source bound to a write key. Every key is compared in constant time, so timing tells nothing. */
export function sourceOfWriteKey(writeKey: string | undefined, keys: WriteKeys): WriteKeyCheck {
  if (!writeKey) return { ok: false, reason: 'missing write key' };
  const given = digest(writeKey);
  let found: ReturnType<typeof writeKeySettings> | undefined;
  for (const [key, entry] of Object.entries(keys)) {
    if (timingSafeEqual(given, digest(key))) found = writeKeySettings(entry);
  }
  return found === undefined ? { ok: false, reason: 'unknown write key' } : { ok: true, ...found };
}
