/**
 * The journey event log's record: one per journey action (enter, a step sent / skipped / with an unknown
 * outcome, a branch taken, a wait started, the exit, a conversion). The one zod schema of the contract:
 * the TS type, the runtime check readers use, and rules/journey-event.schema.json (`nudge schema --write`).
 *
 * Records are built by the pure core (journey-records.ts) from the machine's transitions, so the Temporal
 * workflow and the simulator produce the same records for the same journey; drivers only publish them.
 * `id` is deterministic (`<journeyId>/<seq>/<kind>`): it is the JetStream Nats-Msg-Id, so a publish that an
 * activity retry repeats is dropped by the stream and each action is in the log exactly once.
 */
import { z } from 'zod';

export const JOURNEY_EVENT_RECORD_VERSION = 1;

export const JourneyEventKind = z.enum(['enter', 'step_sent', 'step_skipped', 'step_outcome_unknown', 'branch_taken', 'wait_started', 'exit', 'converted']);
export type JourneyEventKind = z.infer<typeof JourneyEventKind>;

export const JourneyGroup = z.enum(['treatment', 'control']).meta({ description: 'Holdout group: control persons enter invisibly (nothing is sent) so their conversions measure the baseline. A rule without a holdout puts everyone in treatment.' });
export type JourneyGroup = z.infer<typeof JourneyGroup>;

export const JourneyChannel = z.enum(['email', 'sms', 'webhook', 'coupon']);

const Common = {
  v: z.literal(JOURNEY_EVENT_RECORD_VERSION).meta({ description: 'Record format version.' }),
  id: z.string().min(1).meta({ description: 'Deterministic record id `<journeyId>/<seq>/<kind>`: the JetStream message id (duplicates dropped), and a key for idempotent loads.' }),
  seq: z.number().int().nonnegative().meta({ description: 'Position of the record in its journey (0 = enter); records of one journey sorted by seq are the journey in order.' }),
  journeyId: z.string().min(1).meta({ description: 'The journey (its Temporal workflow id).' }),
  personId: z.string().min(1).meta({ description: 'The person (identity-resolved id).' }),
  ruleId: z.string().min(1),
  ruleVersion: z.number().int().nonnegative(),
  group: JourneyGroup,
  stepId: z.string().nullable().meta({ description: 'The step the action belongs to; null for actions of the journey as a whole (enter, most exits, conversions).' }),
  occurredAt: z.iso.datetime({ offset: true }).meta({ description: 'When the action happened (the journey clock: Temporal workflow time, or the simulator\'s virtual clock).' }),
  recordedAt: z.iso.datetime({ offset: true }).meta({ description: 'When the record was written to the log (wall clock of the writer; the first write wins).' }),
};

const Enter = z.object({
  ...Common,
  kind: z.literal('enter'),
  variants: z.record(z.string(), z.string()).meta({ description: 'Split step id → the variant this person is assigned (deterministic by rule, person and step); empty without splits.' }),
  goal: z.object({ event: z.string(), windowEndsAt: z.iso.datetime({ offset: true }) }).nullable().meta({ description: 'The rule\'s goal and the end of this journey\'s attribution window; null: the rule declares no goal.' }),
});

const StepSent = z.object({
  ...Common,
  kind: z.literal('step_sent'),
  channel: JourneyChannel,
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).meta({ description: 'What the activity reported (provider message id, coupon code…).' }),
});

const StepSkipped = z.object({
  ...Common,
  kind: z.literal('step_skipped'),
  channel: JourneyChannel,
  reason: z.string().min(1).meta({ description: 'Why nothing was sent: holdout, quiet_hours, no_consent, frequency_cap, a provider\'s permanent failure type…' }),
  detail: z.string().nullable(),
});

const StepOutcomeUnknown = z.object({
  ...Common,
  kind: z.literal('step_outcome_unknown'),
  channel: JourneyChannel,
  detail: z.string().nullable().meta({ description: 'The worker died after calling the provider and before recording the result: the message may well have arrived. It is never re-sent.' }),
});

const BranchTaken = z.object({
  ...Common,
  kind: z.literal('branch_taken'),
  branch: z.string().min(1).meta({ description: 'then / else (branch), event / timeout (waitForEvent), or the split variant\'s name.' }),
  event: z.string().nullable().meta({ description: 'The event that took a waitForEvent\'s event branch.' }),
});

const WaitStarted = z.object({
  ...Common,
  kind: z.literal('wait_started'),
  until: z.iso.datetime({ offset: true }).nullable().meta({ description: 'When the wait ends at the latest; null: until an event arrives.' }),
  reason: z.string().nullable().meta({ description: 'Why a send is held back (quiet_hours, frequency_cap, allowed_lateness) or goal_window (the steps are done; the journey waits for its goal until the attribution window ends); null for a wait step.' }),
});

const Exit = z.object({
  ...Common,
  kind: z.literal('exit'),
  reason: z.enum(['completed', 'exit_step', 'exit_event', 'no_consent', 'merged', 'trigger_no_longer_true', 'rule_changed']),
  converted: z.boolean().meta({ description: 'Whether the journey converted before it ended.' }),
});

const Converted = z.object({
  ...Common,
  kind: z.literal('converted'),
  goalEvent: z.string().min(1),
  goalMessageId: z.string().min(1).meta({ description: 'The goal event\'s messageId.' }),
  enteredAt: z.iso.datetime({ offset: true }),
  timeToConvertMs: z.number().int().nonnegative().meta({ description: 'From entry to the goal event (journey clock).' }),
  lastMessage: z.object({ stepId: z.string(), channel: JourneyChannel, at: z.iso.datetime({ offset: true }) }).nullable().meta({ description: 'The last step sent before the conversion (last-touch attribution); null for control persons and journeys that sent nothing yet.' }),
});

export const JourneyEventRecordSchema = z.discriminatedUnion('kind', [Enter, StepSent, StepSkipped, StepOutcomeUnknown, BranchTaken, WaitStarted, Exit, Converted]).meta({
  title: 'nudge journey event',
  description: 'One action of one journey, as written to the JetStream stream nudge_journey_events (subject nudge.journey_events.<ruleId>.<kind>).',
});
export type JourneyEventRecord = z.infer<typeof JourneyEventRecordSchema>;

/** The fields every record shares that the journey (not the action) determines. */
export type JourneyRecordMeta = Pick<JourneyEventRecord, 'journeyId' | 'personId' | 'ruleId' | 'ruleVersion' | 'group'>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** What the machine produces: a record without the journey's fields, its position and the write time. */
export type JourneyRecordDraft = DistributiveOmit<JourneyEventRecord, keyof JourneyRecordMeta | 'v' | 'id' | 'seq' | 'recordedAt'>;

export const JOURNEY_EVENTS_STREAM = 'nudge_journey_events';
export const JOURNEY_EVENTS_SUBJECT_PREFIX = 'nudge.journey_events';

/** One subject per rule and kind: a consumer filters `nudge.journey_events.<ruleId>.>` or `nudge.journey_events.*.converted`. */
export function journeyEventSubject(record: Pick<JourneyEventRecord, 'ruleId' | 'kind'>): string {
  return `${JOURNEY_EVENTS_SUBJECT_PREFIX}.${record.ruleId}.${record.kind}`;
}
