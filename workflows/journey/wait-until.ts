/** The next moment a local time of day ("HH:mm") occurs in a time zone, strictly after `now`; DST-aware. */
import { DateTime } from 'luxon';

export function nextLocalTime(nowMs: number, time: string, zone: string): number {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const now = DateTime.fromMillis(nowMs, { zone });
  if (!now.isValid) throw new Error(`invalid time zone "${zone}"`);
  let candidate = now.set({ hour, minute, second: 0, millisecond: 0 });
  if (candidate.toMillis() <= nowMs) {
    candidate = now.plus({ days: 1 }).set({ hour, minute, second: 0, millisecond: 0 });
  }
  return candidate.toMillis();
}
