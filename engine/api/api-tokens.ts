/**
 * Bearer tokens of the HTTP API. A token is 32 random bytes (base64url) behind the prefix `nudge_api_`,
 * so a secret scanner recognises one that leaked; configuration holds only its SHA-256
 * (NUDGE_API_TOKENS). Checking hashes every configured entry in constant time, so the time taken tells
 * nothing about which entry, or how much of one, matched.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiRole, ApiTokenEntry } from '../../platform/api-token-entry';

export const TOKEN_PREFIX = 'nudge_api_';

/** What each role may do: a viewer reads; an operator also exports, erases and posts events. */
export type ApiAction = 'read' | 'export' | 'erase' | 'post_events';
const ALLOWED: Record<ApiRole, ReadonlySet<ApiAction>> = {
  viewer: new Set(['read']),
  operator: new Set(['read', 'export', 'erase', 'post_events']),
};
export const mayPerform = (role: ApiRole, action: ApiAction) => ALLOWED[role].has(action);

export const sha256Hex = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** A new token and the NUDGE_API_TOKENS entry that admits it. */
export function createApiToken(options: { name: string; role: ApiRole; expiresAt?: Date; random?: (size: number) => Buffer }): { token: string; entry: ApiTokenEntry } {
  const token = TOKEN_PREFIX + (options.random ?? randomBytes)(32).toString('base64url');
  const entry: ApiTokenEntry = { name: options.name, role: options.role, sha256: sha256Hex(token), ...(options.expiresAt ? { expiresAt: options.expiresAt.toISOString() } : {}) };
  return { token, entry };
}

export type TokenCheck = { ok: true; token: ApiTokenEntry } | { ok: false; reason: string };

/** The token of an `Authorization: Bearer <token>` header; undefined when there is none. */
export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Who the bearer is, or why not (the caller answers 401). An expired token is refused like an unknown one, after the match. */
export function authenticate(header: string | undefined, tokens: readonly ApiTokenEntry[], now: Date): TokenCheck {
  const token = bearerOf(header);
  if (!token) return { ok: false, reason: 'missing bearer token (send "Authorization: Bearer <token>")' };
  const given = Buffer.from(sha256Hex(token), 'hex');
  let found: ApiTokenEntry | undefined;
  for (const entry of tokens) {
    if (timingSafeEqual(given, Buffer.from(entry.sha256, 'hex'))) found = entry;
  }
  if (!found) return { ok: false, reason: 'unknown token' };
  if (found.expiresAt && Date.parse(found.expiresAt) <= now.getTime()) return { ok: false, reason: `token "${found.name}" expired at ${found.expiresAt}` };
  return { ok: true, token: found };
}
