/**
 * Journey steps: a discriminated union on `type`. Branching steps nest their step lists, and after a
 * nested list ends the journey continues with the step after the branching step. Every step has an id
 * that is unique in the rule; ids name steps in the send ledger, in Temporal history and in `explain`.
 */
import { z } from 'zod';
import { TopLevelConditionSchema, type TopLevelCondition } from './conditions';
import { Duration } from './duration';

const StepId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a step id is 1-64 lowercase letters, digits, "_" or "-"')
  .meta({ description: 'Unique id of the step within the rule, e.g. "send-coupon-email".' });

const LiquidTemplate = (description: string) => z.string().min(1).meta({ description: `${description} Liquid template; variables: user.id, traits.*, tags.*, event.*, coupon.code, journey.id, rule.id.` });

export const CouponStep = z.object({
  id: StepId,
  type: z.literal('coupon').meta({ description: 'Issue one coupon code for this journey; later templates use {{ coupon.code }}.' }),
  pool: z.string().regex(/^[a-z0-9_-]+$/).optional().meta({ description: 'Name of a code pool (rules/coupons/<pool>.txt). Without a pool a unique code is generated.' }),
  prefix: z.string().max(16).optional().meta({ description: 'Prefix of generated codes, e.g. "SAVE10-".' }),
}).strict();

const Topic = z.string().regex(/^[a-z0-9_-]{1,40}$/).optional().meta({ description: 'Consent topic of the message (default "marketing"); a user who unsubscribed from it, or from the whole channel, is skipped with reason no_consent.' });
const Transactional = z.boolean().optional().meta({ description: 'Default false. Transactional messages (receipts, security) ignore topic consent and frequency caps; a channel-wide opt-out (SMS STOP) still applies.' });

export const EmailStep = z.object({
  id: StepId,
  type: z.literal('email'),
  topic: Topic,
  transactional: Transactional,
  to: LiquidTemplate('Recipient address (default "{{ traits.email }}").').optional(),
  subject: LiquidTemplate('Subject line.'),
  text: LiquidTemplate('Plain-text body.'),
  html: LiquidTemplate('HTML body.').optional(),
}).strict();

export const SmsStep = z.object({
  id: StepId,
  type: z.literal('sms'),
  topic: Topic,
  transactional: Transactional,
  to: LiquidTemplate('Recipient phone number (default "{{ traits.phone }}"), normalised to E.164.').optional(),
  body: LiquidTemplate('Message text.'),
}).strict();

export const WebhookStep = z.object({
  id: StepId,
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/ }).meta({ description: 'Where to POST the JSON payload; signed with HMAC-SHA256 (X-Nudge-Signature).' }),
  payload: z.record(z.string(), z.unknown()).optional().meta({
    description: 'JSON payload; string values are Liquid templates. Default: user id, rule id, journey id, trigger event, coupon.',
  }),
}).strict();

export const WaitStep = z.object({
  id: StepId,
  type: z.literal('wait'),
  duration: Duration,
}).strict();

const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time is "HH:mm", 00:00 to 23:59');

export const WaitUntilStep = z.object({
  id: StepId,
  type: z.literal('waitUntil'),
  time: z.union([LocalTime, z.literal('best')]).meta({ description: 'Local time of day to wait for, e.g. "09:30" (if it is already past today, waits for tomorrow); or "best": the start of the hour this person engages most (opens and clicks of our messages, else their activity hours, learned from their events), in the next 24 hours; without such history, the "fallback" time. Quiet hours of the next send move a best time to their end.' }),
  fallback: LocalTime.optional().meta({ description: 'With time "best" (and only then, required): the local time to wait for when the person has no history yet, e.g. "10:00".' }),
  timezone: z.string().optional().meta({ description: 'IANA time zone; default: the user\'s "timezone" trait, then the rule\'s timezone.' }),
}).strict();

export type Step =
  | z.infer<typeof CouponStep> | z.infer<typeof EmailStep> | z.infer<typeof SmsStep> | z.infer<typeof WebhookStep>
  | z.infer<typeof WaitStep> | z.infer<typeof WaitUntilStep> | WaitForEventStep | BranchStep | SplitStep | z.infer<typeof ExitStep>;

export interface SplitStep {
  id: string;
  type: 'split';
  variants: { name: string; weight: number; steps: Step[] }[];
}

export interface WaitForEventStep {
  id: string;
  type: 'waitForEvent';
  event: string;
  conditions?: TopLevelCondition;
  timeout?: string;
  onEvent: Step[];
  onTimeout: Step[];
}

export interface BranchStep {
  id: string;
  type: 'branch';
  conditions: TopLevelCondition;
  then: Step[];
  else: Step[];
}

export const ExitStep = z.object({
  id: StepId,
  type: z.literal('exit').meta({ description: 'End the journey here.' }),
}).strict();

const WaitForEvent: z.ZodType<WaitForEventStep> = z.object({
  id: StepId,
  type: z.literal('waitForEvent'),
  event: z.string().min(1).meta({ description: 'Event name to wait for.' }),
  conditions: TopLevelConditionSchema.optional().meta({ description: 'Only an event that also meets these conditions counts.' }),
  timeout: Duration.optional().meta({ description: 'How long to wait before taking onTimeout. Absent: wait until the event comes or an exit event ends the journey (`nudge validate` warns).' }),
  get onEvent() { return StepList.meta({ description: 'Steps when the event arrives in time (may be empty).' }); },
  get onTimeout() { return StepList.meta({ description: 'Steps when the timeout passes first (may be empty).' }); },
}).strict();

const Branch: z.ZodType<BranchStep> = z.object({
  id: StepId,
  type: z.literal('branch'),
  conditions: TopLevelConditionSchema,
  get then() { return StepList.meta({ description: 'Steps when the conditions hold (may be empty).' }); },
  get else() { return StepList.meta({ description: 'Steps otherwise (may be empty).' }); },
}).strict();

const Split: z.ZodType<SplitStep> = z.object({
  id: StepId,
  type: z.literal('split').meta({ description: 'A/B test: each user goes down one variant, chosen deterministically from a hash of rule, user and step, with the given weights.' }),
  variants: z.array(z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/).meta({ description: 'Variant name, shown in the journey log and simulator output.' }),
    weight: z.number().int().min(1).max(1000).meta({ description: 'Relative weight, e.g. 50 and 50.' }),
    get steps() { return StepList.meta({ description: 'Steps of this variant (may be empty).' }); },
  }).strict()).min(2).refine((v) => new Set(v.map((x) => x.name)).size === v.length, 'variant names must be unique'),
}).strict();

export const StepSchema: z.ZodType<Step> = z.discriminatedUnion('type', [
  CouponStep, EmailStep, SmsStep, WebhookStep, WaitStep, WaitUntilStep,
  WaitForEvent as unknown as typeof ExitStep, Branch as unknown as typeof ExitStep, Split as unknown as typeof ExitStep, ExitStep,
]) as unknown as z.ZodType<Step>;

export const StepList: z.ZodType<Step[]> = z.array(StepSchema);
