/**
 * A scheduled audience's occurrences, pure: a 5-field cron read in each person's local time (croner for
 * the pattern, the IANA zone for the clock), so "0 9 * * 1" is 09:00 on Mondays wherever the person
 * is, across DST changes (a time that does not exist that day — spring forward — is croner's next real
 * minute). A run is one local occurrence (`2026-03-23T09:00`): everyone whose zone reached it
 * enters for it at most once (the run id is in the journey's workflow id).
 */
import { Cron } from 'croner';
import { DateTime } from 'luxon';
import type { UserState } from '../state/behavior-state';

export class CronSyntaxError extends Error {
  constructor(readonly cron: string, reason: string) {
    super(`invalid cron "${cron}": ${reason.replace(/^CronPattern: /, '')}`);
    this.name = 'CronSyntaxError';
  }
}

/** A compiled schedule; throws CronSyntaxError for a pattern croner refuses (fields, ranges, names). */
export class Schedule {
  private readonly byZone = new Map<string, Cron>();

  constructor(readonly cron: string) {
    this.inZone('UTC');
  }

  /**
   * The newest occurrence in (afterMs, untilMs] in `zone`, or undefined. Only the newest: a run that
   * was missed (the engine was down over several ticks) is caught up once, never once per missed tick.
   */
  latestIn(zone: string, afterMs: number, untilMs: number): { at: number; runId: string } | undefined {
    const next = this.inZone(zone).nextRun(new Date(afterMs));
    if (!next || next.getTime() > untilMs) return undefined;
    const latest = this.inZone(zone).previousRuns(1, new Date(untilMs + 1))[0] ?? next;
    const at = Math.max(latest.getTime(), next.getTime());
    return { at, runId: localOccurrence(at, zone) };
  }

  /** The first occurrence strictly after `afterMs` in `zone` (ms), or undefined. */
  nextAfter(zone: string, afterMs: number): number | undefined {
    return this.inZone(zone).nextRun(new Date(afterMs))?.getTime();
  }

  private inZone(zone: string): Cron {
    let cron = this.byZone.get(zone);
    if (!cron) {
      try {
        cron = new Cron(this.cron, { timezone: zone, paused: true, mode: '5-part' });
      } catch (error) {
        throw new CronSyntaxError(this.cron, (error as Error).message);
      }
      this.byZone.set(zone, cron);
    }
    return cron;
  }
}

/** The wall-clock minute of an occurrence in its zone: the run's id (the same for everyone in that zone's 09:00). */
export const localOccurrence = (at: number, zone: string): string => DateTime.fromMillis(at, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");

const validZones = new Map<string, boolean>();
const isZone = (zone: string): boolean => {
  let valid = validZones.get(zone);
  if (valid === undefined) validZones.set(zone, (valid = DateTime.now().setZone(zone).isValid));
  return valid;
};

/** The person's time zone: their "timezone" trait when it is a real zone, else the rule's, else the default. */
export function personZone(state: UserState, ruleZone: string | undefined, defaultZone: string): string {
  const trait = state.traits.timezone;
  if (typeof trait === 'string' && isZone(trait)) return trait;
  return ruleZone && isZone(ruleZone) ? ruleZone : defaultZone;
}

/**
 * Whether any zone reaches an occurrence in (afterMs, untilMs]: a scan of the partition is only worth
 * it then. Every alias shares its canonical zone's offsets, so the canonical zones stand for all.
 */
export function anyOccurrenceIn(schedule: Schedule, zones: readonly string[], afterMs: number, untilMs: number): boolean {
  return zones.some((zone) => schedule.latestIn(zone, afterMs, untilMs) !== undefined);
}

export const ALL_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone')];
