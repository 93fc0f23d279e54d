/** Whether a moment falls inside quiet hours in a time zone, and when they end. Pure, DST-aware (luxon). */
import { DateTime } from 'luxon';
import type { QuietHours } from '../../rules/schema/guardrails';

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function insideQuietHours(nowMs: number, quiet: QuietHours, zone: string): boolean {
  const local = DateTime.fromMillis(nowMs, { zone });
  const minute = local.hour * 60 + local.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * The first allowed minute after `nowMs`. Walked minute by minute in absolute time, so a window end that
 * does not exist (spring forward) or exists twice (fall back) resolves to the first real minute outside
 * the window. Bounded: quiet hours never last more than a day.
 */
export function quietHoursEnd(nowMs: number, quiet: QuietHours, zone: string): number {
  const MINUTE = 60_000;
  let t = Math.floor(nowMs / MINUTE) * MINUTE + MINUTE;
  for (let i = 0; i < 2 * 24 * 60; i++, t += MINUTE) if (!insideQuietHours(t, quiet, zone)) return t;
  throw new Error(`quiet hours ${quiet.start}-${quiet.end} in ${zone} never end`);
}
