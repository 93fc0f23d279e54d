/**
 * Durations are strings such as "30s", "15m", "2d", "1w" (parsed by the `ms` library) so rule files
 * stay readable. Parsing happens at load; code past the loader only sees milliseconds.
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './parse-duration';

export { parseDuration };

export const Duration = z
  .string()
  .regex(DURATION_PATTERN, 'a duration is a number and a unit: ms, s, m, h, d or w (e.g. "2d")')
  .refine((text) => {
    if (!DURATION_PATTERN.test(text)) return true; // already reported by the pattern
    try { return parseDuration(text) > 0; } catch { return false; }
  }, 'the duration must be greater than zero')
  .meta({ description: 'A duration: a number followed by ms, s, m, h, d or w. Example: "7d".', examples: ['30m', '2d', '1w'] });
