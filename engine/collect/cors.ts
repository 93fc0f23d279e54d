/**
 * CORS for browser trackers (analytics.js): which pages may send to the collector, decided per write
 * key from its `allowedOrigins` (NUDGE_WRITE_KEYS). Pure: origins and keys in, a decision out.
 *
 * A preflight (OPTIONS) carries no credentials and no body, so it cannot name its write key: it passes
 * when some key allows the page's origin. The request that follows names its key, and is refused
 * (403, nothing stored) unless that very key allows the origin — the preflight only lets the browser
 * ask. Requests without `Origin` (servers, apps, curl) are not CORS and are not checked here.
 */
import { writeKeySettings, type WriteKeys } from '../../platform/write-key-entry';

export const CORS_ALLOW_METHODS = 'POST, OPTIONS';
/** What analytics.js sends: Basic auth, its text/plain or JSON body, gzip, and its retry counter. */
export const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, Content-Encoding, X-Retry-Count';
/** Seconds a browser may reuse a preflight's answer; Chromium caps it at 7200. */
export const CORS_MAX_AGE_SECONDS = 7200;

export const originAllowed = (origin: string, allowedOrigins: readonly string[]): boolean =>
  allowedOrigins.some((allowed) => allowed === '*' || allowed === origin || subdomainOf(origin, allowed));

/** "https://*.example.com" allows https://shop.example.com and https://a.b.example.com, not example.com. */
function subdomainOf(origin: string, pattern: string): boolean {
  const star = pattern.indexOf('://*.');
  if (star < 0) return false;
  const scheme = pattern.slice(0, star + 3);
  const suffix = pattern.slice(star + 4); // ".example.com[:port]"
  if (!origin.startsWith(scheme) || !origin.endsWith(suffix)) return false;
  return /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(origin.slice(scheme.length, origin.length - suffix.length));
}

/** Whether any write key lets pages of this origin send (what a preflight can know). */
export function anyKeyAllows(origin: string, keys: WriteKeys): boolean {
  return Object.values(keys).some((entry) => originAllowed(origin, writeKeySettings(entry).allowedOrigins));
}

/**
 * Headers every answer to a page of this origin carries, so the page can read the status and reason
 * (of a 400 or 401 too); none for origins no key allows, so the browser hides the answer from them.
 */
export function corsResponseHeaders(origin: string | undefined, keys: WriteKeys): Record<string, string> {
  if (origin === undefined || !anyKeyAllows(origin, keys)) return {};
  return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
}

export type PreflightAnswer = { status: 204; headers: Record<string, string> } | { status: 403 | 405; reason: string; headers: Record<string, string> };

/** The answer to `OPTIONS <route>` with the browser's `Origin` and `Access-Control-Request-Method`. */
export function preflightAnswer(origin: string | undefined, requestMethod: string | undefined, keys: WriteKeys): PreflightAnswer {
  // Not a preflight (no Origin): say what the route accepts, as OPTIONS does without CORS.
  if (origin === undefined) return { status: 204, headers: { Allow: CORS_ALLOW_METHODS } };
  if (!anyKeyAllows(origin, keys)) {
    return { status: 403, reason: `origin ${origin} may not send events here: add it to "allowedOrigins" of the page's write key in NUDGE_WRITE_KEYS`, headers: { Vary: 'Origin' } };
  }
  const allowOrigin = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  if (requestMethod !== undefined && requestMethod.toUpperCase() !== 'POST') {
    return { status: 405, reason: `the collector accepts POST only, not ${requestMethod}`, headers: { ...allowOrigin, Allow: CORS_ALLOW_METHODS } };
  }
  return {
    status: 204,
    headers: {
      ...allowOrigin,
      'Access-Control-Allow-Methods': CORS_ALLOW_METHODS,
      'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
      'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
    },
  };
}

/** The refusal of a request whose own write key does not allow its page's origin, or undefined to go on. */
export function originRefusal(origin: string | undefined, source: string, allowedOrigins: readonly string[]): string | undefined {
  if (origin === undefined || originAllowed(origin, allowedOrigins)) return undefined;
  return `origin ${origin} may not send with the write key of source "${source}": add it to that key's "allowedOrigins" in NUDGE_WRITE_KEYS`;
}
