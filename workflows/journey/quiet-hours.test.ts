/**
 * Quiet hours: whether a moment falls inside a channel's quiet window in the user's time zone, and the
 * first allowed moment after it. Windows may cross midnight; equal start and end mean no quiet hours;
 * daylight-saving changes move the UTC instants, never the local times.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { QuietHours } from '../../rules/schema/guardrails';
import { insideQuietHours, quietHoursEnd } from './quiet-hours';

const quiet = (start: string, end: string, policy: QuietHours['policy'] = 'defer'): QuietHours => ({ start, end, policy });
const NIGHT = quiet('21:00', '09:00');
const SHANGHAI = 'Asia/Shanghai';
const NY = 'America/New_York';
const MINUTE = 60_000;

/** The instant a local wall-clock time ("2025-05-01T23:00") occurs in a zone. */
const local = (wallClock: string, zone: string) => DateTime.fromISO(wallClock, { zone }).toMillis();
const iso = (ms: number) => new Date(ms).toISOString();

describe('insideQuietHours', () => {
  it.each([
    ['20:59', false],
    ['21:00', true],
    ['23:00', true],
    ['23:59', true],
    ['00:00', true],
    ['08:59', true],
    ['09:00', false],
    ['12:00', false],
  ])('a window crossing midnight (21:00-09:00), local %s -> %s', (time, expected) => {
    expect(insideQuietHours(local(`2025-05-01T${time}`, SHANGHAI), NIGHT, SHANGHAI)).toBe(expected);
  });

  it.each([
    ['12:59', false],
    ['13:00', true],
    ['13:30', true],
    ['13:59', true],
    ['14:00', false],
  ])('a window inside one day (13:00-14:00), local %s -> %s', (time, expected) => {
    expect(insideQuietHours(local(`2025-05-01T${time}`, SHANGHAI), quiet('13:00', '14:00'), SHANGHAI)).toBe(expected);
  });

  it('seconds count with their minute: 20:59:59.999 is outside, 08:59:59.999 inside', () => {
    expect(insideQuietHours(local('2025-05-01T20:59:59.999', SHANGHAI), NIGHT, SHANGHAI)).toBe(false);
    expect(insideQuietHours(local('2025-05-02T08:59:59.999', SHANGHAI), NIGHT, SHANGHAI)).toBe(true);
  });

  it('equal start and end is no quiet time at all', () => {
    for (let hour = 0; hour < 24; hour++) {
      expect(insideQuietHours(local(`2025-05-01T${String(hour).padStart(2, '0')}:00`, SHANGHAI), quiet('22:00', '22:00'), SHANGHAI)).toBe(false);
    }
    expect(insideQuietHours(local('2025-05-01T00:00', SHANGHAI), quiet('00:00', '00:00'), SHANGHAI)).toBe(false);
  });

  it('is decided in the given zone: one instant is quiet in Shanghai and not in New York', () => {
    const instant = Date.parse('2025-05-01T15:00:00.000Z'); // 23:00 in Shanghai, 11:00 in New York
    expect(insideQuietHours(instant, NIGHT, SHANGHAI)).toBe(true);
    expect(insideQuietHours(instant, NIGHT, NY)).toBe(false);
  });

  it('the policy does not change whether a moment is quiet', () => {
    const instant = local('2025-05-01T23:00', SHANGHAI);
    expect(insideQuietHours(instant, quiet('21:00', '09:00', 'skip'), SHANGHAI)).toBe(true);
  });
});

describe('quietHoursEnd', () => {
  it.each([
    ['late evening -> 09:00 the next morning', '2025-05-01T23:00', '2025-05-02T01:00:00.000Z'],
    ['at the start -> 09:00 the next morning', '2025-05-01T21:00', '2025-05-02T01:00:00.000Z'],
    ['after midnight -> 09:00 the same morning', '2025-05-02T02:30', '2025-05-02T01:00:00.000Z'],
    ['one minute before the end', '2025-05-02T08:59', '2025-05-02T01:00:00.000Z'],
  ])('21:00-09:00 in Shanghai: %s', (_name, wallClock, expected) => {
    expect(iso(quietHoursEnd(local(wallClock, SHANGHAI), NIGHT, SHANGHAI))).toBe(expected);
  });

  it('a window inside one day ends the same day', () => {
    expect(iso(quietHoursEnd(local('2025-05-01T13:15', SHANGHAI), quiet('13:00', '14:00'), SHANGHAI))).toBe('2025-05-01T06:00:00.000Z');
  });

  it.each([
    // New York springs forward on 2025-03-09 at 02:00 EST -> 03:00 EDT.
    ['spring forward: the night before the change ends at 09:00 EDT', '2025-03-08T23:00', quiet('21:00', '09:00'), '2025-03-09T13:00:00.000Z'],
    ['spring forward: 01:30 EST, before the change', '2025-03-09T01:30', quiet('21:00', '09:00'), '2025-03-09T13:00:00.000Z'],
    ['spring forward: a window from 01:00 to 04:00 lasts two real hours', '2025-03-09T01:00', quiet('01:00', '04:00'), '2025-03-09T08:00:00.000Z'],
    // New York falls back on 2025-11-02 at 02:00 EDT -> 01:00 EST.
    ['fall back: the night of the change ends at 09:00 EST', '2025-11-01T23:00', quiet('21:00', '09:00'), '2025-11-02T14:00:00.000Z'],
    ['fall back: a window from 00:00 to 03:00 lasts four real hours', '2025-11-02T00:00', quiet('00:00', '03:00'), '2025-11-02T08:00:00.000Z'],
    // The end of these windows falls into the hour the change skips or repeats.
    ['spring forward: 22:00-02:30 ends at 03:00 EDT, the first minute after the skipped hour', '2025-03-08T23:00', quiet('22:00', '02:30'), '2025-03-09T07:00:00.000Z'],
    ['fall back: 22:00-01:30, from the evening before, ends at the first 01:30 (EDT)', '2025-11-01T22:00', quiet('22:00', '01:30'), '2025-11-02T05:30:00.000Z'],
  ])('%s', (_name, wallClock, window, expected) => {
    const now = local(wallClock, NY);
    expect(insideQuietHours(now, window, NY)).toBe(true);
    expect(iso(quietHoursEnd(now, window, NY))).toBe(expected);
  });

  it('fall back: a window ending inside the repeated hour ends at each occurrence of its end', () => {
    const window = quiet('22:00', '01:30');
    const firstPass = Date.parse('2025-11-02T05:15:00.000Z'); // 01:15 EDT
    const secondPass = Date.parse('2025-11-02T06:15:00.000Z'); // 01:15 EST, the clock shows 01:15 again
    expect(insideQuietHours(firstPass, window, NY)).toBe(true);
    expect(iso(quietHoursEnd(firstPass, window, NY))).toBe('2025-11-02T05:30:00.000Z');
    expect(insideQuietHours(secondPass, window, NY)).toBe(true);
    expect(iso(quietHoursEnd(secondPass, window, NY))).toBe('2025-11-02T06:30:00.000Z');
  });

  /**
   * The defining property: the end is the first allowed minute — every minute from now until the end
   * is quiet, and the end itself is not. Checked minute by minute across both of New York's changes,
   * for windows whose edges fall into the hour the change skips or repeats.
   */
  describe.each([
    ['21:00-09:00', quiet('21:00', '09:00')],
    ['01:00-04:00', quiet('01:00', '04:00')],
    ['22:00-01:30', quiet('22:00', '01:30')],
    ['02:15-05:00 (starts in the skipped hour)', quiet('02:15', '05:00')],
    ['22:00-02:30 (ends in the skipped hour)', quiet('22:00', '02:30')],
  ])('window %s', (_name, window) => {
    it.each([
      ['spring forward', '2025-03-08T20:00:00.000Z'],
      ['fall back', '2025-11-01T20:00:00.000Z'],
    ])('across %s, every quiet minute waits exactly until the first allowed minute', (_change, from) => {
      // One line per distinct wrong answer, naming the first and last quiet moment that gets it.
      const problems = new Map<string, { first: number; last: number }>();
      for (let now = Date.parse(from); now < Date.parse(from) + 24 * 60 * MINUTE; now += 5 * MINUTE) {
        if (!insideQuietHours(now, window, NY)) continue;
        const end = quietHoursEnd(now, window, NY);
        const firstAllowed = firstOutside(now, window, NY);
        const problem = insideQuietHours(end, window, NY) ? `ends ${iso(end)}, which is still quiet`
          : end !== firstAllowed ? `ends ${iso(end)}, but ${iso(firstAllowed)} is already allowed` : null;
        if (problem) problems.set(problem, { first: problems.get(problem)?.first ?? now, last: now });
      }
      expect([...problems].map(([problem, { first, last }]) => `quiet at ${iso(first)} .. ${iso(last)}: ${problem}`)).toEqual([]);
    });
  });
});

/** Walks minute by minute to the first moment outside the window. */
function firstOutside(now: number, window: QuietHours, zone: string): number {
  let t = Math.floor(now / MINUTE) * MINUTE + MINUTE;
  while (insideQuietHours(t, window, zone)) t += MINUTE;
  return t;
}
