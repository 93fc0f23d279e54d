/** Parses rule durations ("30s", "2d", "1w") to milliseconds. Kept free of zod so workflow code can use it. */
import ms from 'ms';

export const DURATION_PATTERN = /^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/;

export function parseDuration(text: string): number {
  const value = DURATION_PATTERN.test(text) ? ms(text as ms.StringValue) : NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`"${text}" is not a positive duration such as "30s", "15m", "2h", "7d" or "1w"`);
  }
  return value;
}
