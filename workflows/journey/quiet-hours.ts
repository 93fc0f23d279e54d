/** Whether a moment falls inside quiet hours in a time zone, and when they end. Pure, DST-aware (luxon). */
import { DateTime } from 'luxon';
import type { QuietHours } from '../../rules/schema/guardrails';
import { nextLocalTime } from './wait-until';

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function insideQuietHours(nowMs: number, quiet: QuietHours, zone: string): boolean {
  const local = DateTime.fromMillis(nowMs, { zone });
  const minute = local.hour * 60 + local.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** The first allowed minute: the next time the quiet window's end occurs. */
export function quietHoursEnd(nowMs: number, quiet: QuietHours, zone: string): number {
  return nextLocalTime(nowMs, quiet.end, zone);
}
