/**
 * What makes a person enter a rule: an event (the classic trigger), the absence of an event for a
 * duration, a schedule (an audience evaluated on a cron), or a one-off audience launch. The kinds are
 * told apart by which key is present, so every rule file written before the other kinds existed (an
 * `event` key) stays valid and means what it meant.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { leavesOf, TopLevelConditionSchema, type TopLevelCondition } from './conditions';
import { Duration } from './duration';

const STATE_CONDITIONS = 'Conditions over the person\'s state when the trigger fires: traits, count, secondsSinceLast and tags (there is no triggering event, so no "event" fact). Absent: everyone.';

/** An event occurrence an absence trigger watches: the event name and, optionally, which occurrences count. */
const WatchedEvent = z
  .object({
    event: z.string().min(1).meta({ description: 'Name of the track event.' }),
    conditions: TopLevelConditionSchema.optional().meta({ description: 'Only occurrences that meet these conditions count (facts: event, traits, count, secondsSinceLast, tags, as for an event trigger).' }),
  })
  .strict();

export const EventTrigger = z
  .object({
    event: z.string().min(1).meta({ description: 'Name of the track event that is evaluated against this rule.' }),
    conditions: TopLevelConditionSchema.optional().meta({ description: 'Conditions over the facts event, traits, count, secondsSinceLast and tags. Absent: every such event matches.' }),
  })
  .strict()
  .meta({ description: 'Enter when an event arrives (and meets the conditions).' });

export const AbsenceTrigger = z
  .object({
    absence: WatchedEvent.extend({
      for: Duration.meta({ description: 'How long the event must not happen. Example: "7d".' }),
      after: WatchedEvent.optional().meta({ description: 'Start the wait at each occurrence of this event instead of at the last occurrence of the watched event: "no order_completed within 3d after trial_will_end". Without it, each occurrence of the watched event starts the wait again.' }),
    })
      .strict()
      .meta({ description: 'Fires `for` after the last occurrence of `event` (each new one re-arms it); with `after`, `for` after each `after` event unless `event` happens first.' }),
    conditions: TopLevelConditionSchema.optional().meta({ description: STATE_CONDITIONS }),
  })
  .strict()
  .meta({ description: 'Enter when an event has not happened for a duration. Example: { "absence": { "event": "page_viewed", "for": "7d" } }.' });

export const CRON_PATTERN = /^\s*\S+(\s+\S+){4}\s*$/;

export const ScheduleTrigger = z
  .object({
    schedule: z
      .object({
        cron: z.string().regex(CRON_PATTERN, 'a cron expression has 5 fields: minute hour day-of-month month day-of-week (e.g. "0 9 * * 1")').meta({ description: 'Standard 5-field cron (minute hour day-of-month month day-of-week), in each person\'s local time (their "timezone" trait, else the rule\'s timezone, else NUDGE_DEFAULT_TIMEZONE). Example: "0 9 * * 1" (Mondays 09:00).' }),
      })
      .strict(),
    conditions: TopLevelConditionSchema.optional().meta({ description: STATE_CONDITIONS }),
  })
  .strict()
  .meta({ description: 'Enter everyone whose state meets the conditions, on a schedule.' });

export const OneOffTrigger = z
  .object({
    oneOff: z.object({}).strict().meta({ description: 'No options: the audience enters once, when launched with `nudge audience launch <rule>`.' }),
    conditions: TopLevelConditionSchema.optional().meta({ description: STATE_CONDITIONS }),
  })
  .strict()
  .meta({ description: 'Enter everyone whose state meets the conditions, once, when launched.' });

export const TriggerSchema = z
  .union([EventTrigger, AbsenceTrigger, ScheduleTrigger, OneOffTrigger])
  .meta({ description: 'Who enters: on an event ("event"), on an event\'s absence ("absence"), on a schedule ("schedule") or once when launched ("oneOff").' });

export type Trigger = z.output<typeof TriggerSchema>;
export type EventTrigger = z.output<typeof EventTrigger>;
export type AbsenceTrigger = z.output<typeof AbsenceTrigger>;
export type ScheduleTrigger = z.output<typeof ScheduleTrigger>;
export type OneOffTrigger = z.output<typeof OneOffTrigger>;
export type TriggerKind = 'event' | 'absence' | 'schedule' | 'oneOff';

export const isEventTrigger = (trigger: Trigger): trigger is EventTrigger => 'event' in trigger;
export const isAbsenceTrigger = (trigger: Trigger): trigger is AbsenceTrigger => 'absence' in trigger;
export const isScheduleTrigger = (trigger: Trigger): trigger is ScheduleTrigger => 'schedule' in trigger;
export const isOneOffTrigger = (trigger: Trigger): trigger is OneOffTrigger => 'oneOff' in trigger;

export function triggerKind(trigger: Trigger): TriggerKind {
  if (isEventTrigger(trigger)) return 'event';
  if (isAbsenceTrigger(trigger)) return 'absence';
  if (isScheduleTrigger(trigger)) return 'schedule';
  return 'oneOff';
}

/** The event whose arrival is evaluated against the rule; undefined for triggers no single event fires. */
export function triggerEventOf(trigger: Trigger): string | undefined {
  return isEventTrigger(trigger) ? trigger.event : undefined;
}

/** Event names the trigger reacts to: the trigger event, or an absence trigger's watched and `after` events. */
export function triggerWatchedEvents(trigger: Trigger): string[] {
  if (isEventTrigger(trigger)) return [trigger.event];
  if (isAbsenceTrigger(trigger)) return trigger.absence.after ? [trigger.absence.event, trigger.absence.after.event] : [trigger.absence.event];
  return [];
}

/** Every condition tree of a trigger with its JSON path below the rule. */
export function conditionTreesOfTrigger(trigger: Trigger): [TopLevelCondition, (string | number)[]][] {
  const trees: [TopLevelCondition, (string | number)[]][] = [];
  if (trigger.conditions) trees.push([trigger.conditions, ['trigger', 'conditions']]);
  if (isAbsenceTrigger(trigger)) {
    if (trigger.absence.conditions) trees.push([trigger.absence.conditions, ['trigger', 'absence', 'conditions']]);
    if (trigger.absence.after?.conditions) trees.push([trigger.absence.after.conditions, ['trigger', 'absence', 'after', 'conditions']]);
  }
  return trees;
}

/**
 * Problems the schema cannot express: the conditions of an absence or audience trigger are evaluated
 * when no event is at hand, so an "event" fact there could never be true (or would read a stale event).
 */
export function triggerProblems(trigger: Trigger): { path: (string | number)[]; message: string }[] {
  if (isScheduleTrigger(trigger)) {
    const cron = cronProblem(trigger.schedule.cron);
    if (cron) return [{ path: ['trigger', 'schedule', 'cron'], message: cron }, ...(trigger.conditions ? stateConditionProblems(trigger) : [])];
  }
  if (isEventTrigger(trigger) || !trigger.conditions) return [];
  return stateConditionProblems(trigger);
}

/** Why croner (which runs the schedules, engine/audience/schedule.ts) refuses a 5-field pattern, or null. */
export function cronProblem(cron: string): string | null {
  try {
    new Cron(cron, { paused: true, mode: '5-part' });
    return null;
  } catch (error) {
    return `invalid cron "${cron}": ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
}

function stateConditionProblems(trigger: Exclude<Trigger, EventTrigger>): { path: (string | number)[]; message: string }[] {
  if (!trigger.conditions) return [];
  const kind = triggerKind(trigger);
  const problems: { path: (string | number)[]; message: string }[] = [];
  for (const [leaf, path] of leavesOf(trigger.conditions, ['trigger', 'conditions'])) {
    if (leaf.fact === 'event') problems.push({ path: [...path, 'fact'], message: `${kind === 'absence' ? 'an' : 'a'} ${kind} trigger's conditions are evaluated without an event: use traits, count, secondsSinceLast or tags${kind === 'absence' ? ' (conditions on the watched event go in trigger.absence.conditions)' : ''}` });
  }
  return problems;
}

/**
 * The name of the event a journey of this rule receives as its trigger (templates' `event`): the
 * trigger event, or for an absence trigger the occurrence that started the wait (the `after` event,
 * else the watched event's last occurrence); undefined for audiences, which enter without an event.
 */
export function journeyEventNameOf(trigger: Trigger): string | undefined {
  if (isEventTrigger(trigger)) return trigger.event;
  if (isAbsenceTrigger(trigger)) return trigger.absence.after?.event ?? trigger.absence.event;
  return undefined;
}

/** One line for people: "page_viewed", "no page_viewed for 7d", "schedule 0 9 * * 1", "one-off launch". */
export function describeTrigger(trigger: Trigger): string {
  if (isEventTrigger(trigger)) return trigger.event;
  if (isAbsenceTrigger(trigger)) {
    const { event, conditions, after } = trigger.absence;
    const what = `no ${event}${conditions ? ' (with conditions)' : ''} for ${trigger.absence.for}`;
    return after ? `${what} after ${after.event}${after.conditions ? ' (with conditions)' : ''}` : `${what} since the last one`;
  }
  if (isScheduleTrigger(trigger)) return `schedule "${trigger.schedule.cron}" (local time)`;
  return 'one-off launch';
}
