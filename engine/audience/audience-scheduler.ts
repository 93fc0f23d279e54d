/**
 * Scheduled audiences in the engine: every tick, for each enabled rule with a `schedule` trigger, the
 * owner of each partition runs the window since the partition's last recorded run (run-records.ts) up
 * to now. A person is due when their zone reached an occurrence in that window (schedule.ts; only the
 * newest, so a missed stretch is caught up once); the partitions due are scanned together and the
 * record moves only after every entry was sent. Partitions move with ownership, and so does the work:
 * the new owner continues from the record. When no zone reaches an occurrence the record just moves on
 * (no scan): a weekly rule scans on a few dozen ticks a week.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { isScheduleTrigger } from '../../rules/schema/trigger';
import { partitionOf } from '../events/subjects';
import type { RuleIndex } from '../match/rule-index';
import type { Logger } from '../../platform/logger';
import { natsAudienceEntry, runAudience } from './audience-run';
import { RunRecordConflictError, type RunRecord, type RunRecords } from './run-records';
import { ALL_ZONES, anyOccurrenceIn, personZone, Schedule } from './schedule';

export interface SchedulerContext {
  js: JetStreamClient;
  stateBucket: string;
  records: RunRecords;
  rules: () => RuleIndex;
  /** The partitions this engine owns now. */
  owned: () => number[];
  partitionCount: number;
  defaultZone: string;
  owner: string;
  now: () => number;
  log: Logger;
}

const schedules = new Map<string, Schedule>();
const scheduleOf = (cron: string) => {
  let schedule = schedules.get(cron);
  if (!schedule) schedules.set(cron, (schedule = new Schedule(cron)));
  return schedule;
};

/** One tick: every scheduled rule over the owned partitions. Returns the persons sent an entry. */
export async function runScheduledAudiences(ctx: SchedulerContext): Promise<number> {
  const now = ctx.now();
  let sent = 0;
  for (const compiled of ctx.rules().rules) {
    const { rule } = compiled;
    if (!rule.enabled || !isScheduleTrigger(rule.trigger)) continue;
    const schedule = scheduleOf(rule.trigger.schedule.cron);
    const windows = new Map<number, RunRecord>();
    for (const partition of ctx.owned()) {
      const record = await ctx.records.load(rule.id, partition);
      if (record.revision === 0) {
        // A schedule new to this partition starts now: deploying a Monday rule on a Wednesday sends nothing until Monday.
        await saveRecord(ctx, rule.id, partition, now, record);
      } else if (record.until < now) {
        windows.set(partition, record);
      }
    }
    const due = [...windows].filter(([, record]) => anyOccurrenceIn(schedule, ALL_ZONES, record.until, now));
    for (const [partition, record] of windows) if (!due.some(([p]) => p === partition)) await saveRecord(ctx, rule.id, partition, now, record);
    if (!due.length) continue;
    const after = new Map(due.map(([partition, record]) => [partition, record.until]));
    const tallies = await runAudience(ctx.js, ctx.stateBucket, {
      compiled,
      tags: ctx.rules().tags,
      partitions: new Set(after.keys()),
      partitionCount: ctx.partitionCount,
      runFor: (state) => schedule.latestIn(personZone(state, rule.timezone, ctx.defaultZone), after.get(partitionOf(state.userKey, ctx.partitionCount))!, now),
      enter: natsAudienceEntry(ctx.js, ctx.partitionCount),
    });
    for (const [partition, record] of due) await saveRecord(ctx, rule.id, partition, now, record);
    for (const [partition, tally] of tallies) {
      sent += tally.sent;
      if (tally.matched) ctx.log.info({ rule: rule.id, partition, ...tally }, 'scheduled audience run');
    }
  }
  return sent;
}

async function saveRecord(ctx: SchedulerContext, ruleId: string, partition: number, until: number, record: RunRecord): Promise<void> {
  try {
    await ctx.records.save(ruleId, partition, until, record.revision, ctx.owner);
  } catch (error) {
    // Another engine took the partition and ran it: its record stands.
    if (!(error instanceof RunRecordConflictError)) throw error;
    ctx.log.info({ rule: ruleId, partition }, 'audience run record moved on elsewhere');
  }
}

/** Ticks until `stop`; a failed tick (NATS unavailable) is logged and the next one retries the same window. */
export async function runAudienceScheduler(ctx: SchedulerContext, tickMs: number, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    try {
      await runScheduledAudiences(ctx);
    } catch (error) {
      ctx.log.warn({ err: (error as Error).message }, 'scheduled audience tick failed; retried next tick');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, tickMs);
      stop.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
