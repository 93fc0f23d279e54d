/** Reading HTTP `Retry-After`, which is either a number of seconds or an HTTP date. */

/** Used when a provider says "slow down" without saying for how long. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

export function parseRetryAfterMs(header: string | null | undefined, now: number = Date.now()): number {
  const value = header?.trim();
  if (!value) return DEFAULT_RETRY_AFTER_MS;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return DEFAULT_RETRY_AFTER_MS;
  return Math.max(0, date - now);
}
