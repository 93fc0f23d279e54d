import { describe, expect, it } from 'vitest';
import { emptyState } from '../state/behavior-state';
import { ALL_ZONES, anyOccurrenceIn, CronSyntaxError, personZone, Schedule } from './schedule';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

/** Steps a virtual clock by `tickMs` from `from` to `to`, collecting each run the zone reaches (as a scheduler tick does). */
function runsOnVirtualClock(schedule: Schedule, zone: string, from: number, to: number, tickMs: number) {
  const runs: { at: string; runId: string }[] = [];
  for (let t = from; t < to; t += tickMs) {
    const run = schedule.latestIn(zone, t, t + tickMs);
    if (run) runs.push({ at: new Date(run.at).toISOString(), runId: run.runId });
  }
  return runs;
}

describe('scheduled audience occurrences', () => {
  it('fires at 09:00 local on Mondays in two time zones, across each one\'s DST change', () => {
    const monday9 = new Schedule('0 9 * * 1');
    // Europe moves its clocks on 2026-03-29, the US on 2026-03-08: three Mondays span both changes.
    const from = at('2026-03-01T00:00:00Z');
    const to = at('2026-04-07T00:00:00Z');
    const berlin = runsOnVirtualClock(monday9, 'Europe/Berlin', from, to, 60_000 * 15);
    const newYork = runsOnVirtualClock(monday9, 'America/New_York', from, to, 60_000 * 15);
    expect(berlin).toEqual([
      { at: '2026-03-02T08:00:00.000Z', runId: '2026-03-02T09:00' },
      { at: '2026-03-09T08:00:00.000Z', runId: '2026-03-09T09:00' },
      { at: '2026-03-16T08:00:00.000Z', runId: '2026-03-16T09:00' },
      { at: '2026-03-23T08:00:00.000Z', runId: '2026-03-23T09:00' },
      { at: '2026-03-30T07:00:00.000Z', runId: '2026-03-30T09:00' }, // CEST: UTC+2
      { at: '2026-04-06T07:00:00.000Z', runId: '2026-04-06T09:00' },
    ]);
    expect(newYork).toEqual([
      { at: '2026-03-02T14:00:00.000Z', runId: '2026-03-02T09:00' }, // EST: UTC-5
      { at: '2026-03-09T13:00:00.000Z', runId: '2026-03-09T09:00' }, // EDT: UTC-4
      { at: '2026-03-16T13:00:00.000Z', runId: '2026-03-16T09:00' },
      { at: '2026-03-23T13:00:00.000Z', runId: '2026-03-23T09:00' },
      { at: '2026-03-30T13:00:00.000Z', runId: '2026-03-30T09:00' },
      { at: '2026-04-06T13:00:00.000Z', runId: '2026-04-06T09:00' },
    ]);
  });

  it('catches a missed stretch up once, with its newest occurrence only', () => {
    const hourly = new Schedule('0 * * * *');
    const run = hourly.latestIn('UTC', at('2026-03-02T00:30:00Z'), at('2026-03-02T05:10:00Z'));
    expect(run).toEqual({ at: at('2026-03-02T05:00:00Z'), runId: '2026-03-02T05:00' });
    expect(hourly.latestIn('UTC', at('2026-03-02T05:00:00Z'), at('2026-03-02T05:59:00Z'))).toBeUndefined();
  });

  it('knows when no zone reaches an occurrence, so the partition is not scanned', () => {
    const monday9 = new Schedule('0 9 * * 1');
    const sunday = at('2026-03-01T06:00:00Z');
    expect(anyOccurrenceIn(monday9, ALL_ZONES, sunday, sunday + HOUR)).toBe(false);
    const mondayMorningInAsia = at('2026-03-02T00:00:00Z'); // 09:00 in Tokyo
    expect(anyOccurrenceIn(monday9, ALL_ZONES, mondayMorningInAsia - 60_000, mondayMorningInAsia)).toBe(true);
  });

  it('takes the person\'s timezone trait, else the rule\'s, else the default; an unknown zone is not used', () => {
    const person = (timezone?: unknown) => ({ ...emptyState('u'), traits: timezone === undefined ? {} : { timezone } });
    expect(personZone(person('Asia/Tokyo'), 'Europe/Berlin', 'UTC')).toBe('Asia/Tokyo');
    expect(personZone(person('Mars/Olympus'), 'Europe/Berlin', 'UTC')).toBe('Europe/Berlin');
    expect(personZone(person(), undefined, 'America/New_York')).toBe('America/New_York');
  });

  it('refuses a pattern croner cannot read, naming it', () => {
    expect(() => new Schedule('61 9 * * 1')).toThrow(CronSyntaxError);
    expect(() => new Schedule('0 9 * * 1 2026')).toThrow(/invalid cron "0 9 \* \* 1 2026"/);
  });
});
