/**
 * Scheduled audiences on the simulator's virtual clock: the next moment any zone reaches an occurrence
 * of an enabled schedule rule, and at that moment the persons due (their zone's newest occurrence in
 * the window since the last run, engine/audience/schedule.ts) — the same window rule the engine's
 * scheduler runs per partition, over every person the simulation holds. The entries themselves go
 * through the same decision as in production (EventProcessor.audienceEntry → decide-audience.ts).
 */
import type { Rule } from '../../rules/schema/rule';
import { isScheduleTrigger } from '../../rules/schema/trigger';
import type { AudienceEntryControl } from '../decide/decide-audience';
import type { UserState } from '../state/behavior-state';
import { ALL_ZONES, personZone, Schedule } from '../audience/schedule';

export class VirtualSchedules {
  private readonly schedules: { rule: Rule; schedule: Schedule }[];
  private last: number;
  private nextAt: number | null = null;

  /** `from`: the simulation's start; occurrences before it are not run (as a schedule new to a partition). */
  constructor(rules: readonly Rule[], private readonly defaultZone: string, from: number) {
    this.schedules = rules.flatMap((rule) => (rule.enabled && isScheduleTrigger(rule.trigger) ? [{ rule, schedule: new Schedule(rule.trigger.schedule.cron) }] : []));
    this.last = from;
  }

  /** When the next run is due (ms), or Infinity; computed once per run. */
  next(): number {
    if (!this.schedules.length) return Infinity;
    if (this.nextAt === null) {
      // The earliest occurrence after the last run in any zone (every alias shares a canonical zone's offsets).
      let best = Infinity;
      for (const { schedule } of this.schedules) for (const zone of ALL_ZONES) best = Math.min(best, schedule.nextAfter(zone, this.last) ?? Infinity);
      this.nextAt = best;
    }
    return this.nextAt;
  }

  /** The entries due at `at` (= next()) for these persons, and moves the window on. */
  take(at: number, states: readonly UserState[]): AudienceEntryControl[] {
    const entries: AudienceEntryControl[] = [];
    for (const { rule, schedule } of this.schedules) {
      for (const state of states) {
        const run = schedule.latestIn(personZone(state, rule.timezone, this.defaultZone), this.last, at);
        if (run) entries.push({ person: state.userKey, ruleId: rule.id, runId: run.runId, at: run.at });
      }
    }
    this.last = at;
    this.nextAt = null;
    return entries;
  }
}
