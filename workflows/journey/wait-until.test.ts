/**
 * nextLocalTime: the next moment a local "HH:mm" occurs in a time zone, strictly after now, computed
 * in local time so daylight-saving changes move the UTC instant, not the local time.
 */
import { describe, expect, it } from 'vitest';
import { nextLocalTime } from './wait-until';

const NY = 'America/New_York';

describe('nextLocalTime', () => {
  it.each([
    ['later today', '2025-06-10T12:00:00.000Z', '09:30', NY, '2025-06-10T13:30:00.000Z'],
    ['already past today -> tomorrow', '2025-06-10T15:00:00.000Z', '09:30', NY, '2025-06-11T13:30:00.000Z'],
    ['exactly now -> tomorrow (strictly after now)', '2025-06-10T13:30:00.000Z', '09:30', NY, '2025-06-11T13:30:00.000Z'],
    ['1 ms before -> today', '2025-06-10T13:29:59.999Z', '09:30', NY, '2025-06-10T13:30:00.000Z'],
    ['March change: Saturday EST -> Sunday 09:30 EDT', '2025-03-08T20:00:00.000Z', '09:30', NY, '2025-03-09T13:30:00.000Z'],
    ['March change: on the day, before 02:00 EST', '2025-03-09T05:00:00.000Z', '09:30', NY, '2025-03-09T13:30:00.000Z'],
    ['March change: a local time skipped by the change moves past the gap', '2025-03-08T12:00:00.000Z', '02:30', NY, '2025-03-09T07:30:00.000Z'],
    ['November change: Saturday EDT -> Sunday 09:30 EST', '2025-11-01T20:00:00.000Z', '09:30', NY, '2025-11-02T14:30:00.000Z'],
    ['November change: the day after, still EST', '2025-11-02T20:00:00.000Z', '09:30', NY, '2025-11-03T14:30:00.000Z'],
    ['midnight', '2025-06-10T12:00:00.000Z', '00:00', NY, '2025-06-11T04:00:00.000Z'],
    ['UTC', '2025-06-10T12:00:00.000Z', '23:59', 'UTC', '2025-06-10T23:59:00.000Z'],
    ['a zone ahead of UTC, date already tomorrow there', '2025-05-01T20:00:00.000Z', '09:30', 'Asia/Tokyo', '2025-05-02T00:30:00.000Z'],
    ['Europe/Berlin across its own March change', '2025-03-29T12:00:00.000Z', '09:30', 'Europe/Berlin', '2025-03-30T07:30:00.000Z'],
  ])('%s', (_name, now, time, zone, expected) => {
    expect(new Date(nextLocalTime(Date.parse(now), time, zone)).toISOString()).toBe(expected);
  });

  it('an unknown time zone is an error', () => {
    expect(() => nextLocalTime(Date.parse('2025-06-10T12:00:00.000Z'), '09:30', 'Mars/Olympus_Mons')).toThrow('invalid time zone "Mars/Olympus_Mons"');
  });
});
