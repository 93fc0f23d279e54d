/**
 * The contract between the engine (which starts journeys) and the journey workflow. The rule definition
 * travels inside the input, so editing a rule file never changes a journey that is already running.
 * `v` versions the shape; the workflow refuses inputs it does not understand.
 */
import type { FrequencyCap, QuietHours } from '../../rules/schema/guardrails';
import type { Rule } from '../../rules/schema/rule';
import type { ExitReason, JourneyAction, JourneyEvent, MachineContext } from './machine';
import { compileProgram } from '../../rules/schema/step-program';
import type { TriggerRecheck } from './trigger-recheck';
import type { SendQueues } from './send-queues';
import type { LearnedSendHour } from '../../engine/state/send-hours';

export const JOURNEY_WORKFLOW_TYPE = 'journeyWorkflow';

export interface EntrySnapshot {
  seq: number;
  tags: Record<string, string | number | boolean | null>;
  /**
   * Each loaded model's score of the person at entry, by model id ({{ scores["<id>"] }}). Fixed at entry
   * so the message matches the decision and the simulator reproduces it; absent: the engine had no models.
   */
  scores?: Record<string, number>;
}

export interface JourneyInput {
  v: 1;
  journeyId: string;
  /** The person (identity resolution: named after the id of their first event). */
  userId: string;
  /** Every id the person's events carried (userId, anonymousIds), for finding their journeys in Temporal. */
  personIds?: string[];
  rule: Rule;
  trigger: JourneyEvent;
  /** Profile traits when the user entered (templates and waitUntil time zones read them). */
  traits: Record<string, unknown>;
  /**
   * The user at entry, for steps that run before the engine has saved the state with the trigger event
   * (it starts the journey first): the trigger's stream sequence and the behavior tags then. Absent
   * when no tags are defined.
   */
  entry?: EntrySnapshot;
  /** Multiplies wait durations (1 = real time). Recorded in history, so replays stay deterministic. */
  waitScale: number;
  /** Guardrails resolved at entry (global settings merged with the rule's), so they cannot change mid-journey. */
  quietHours?: Partial<Record<'email' | 'sms', QuietHours>>;
  frequencyCaps?: Partial<Record<'email' | 'sms', FrequencyCap>>;
  /** Time zone when neither the user's "timezone" trait nor the rule names one. */
  defaultTimezone?: string;
  /** Holdout group, when the rule has a holdout: control users are entered but sent nothing. */
  assignment?: 'control' | 'treatment';
  /**
   * Allowed lateness, resolved at entry (the rule's allowedLateness, else NUDGE_ALLOWED_LATENESS) when
   * it is above 0 and the trigger has conditions: before the first action step the journey re-checks the
   * trigger as of `asOf` (trigger-recheck.ts). Absent: no re-check, as before lateness existed.
   */
  recheck?: TriggerRecheck;
  /** Throttled task queues of the sends, per channel (audience journeys only; send-queues.ts). Absent: the journey's own queue. */
  sendQueues?: SendQueues;
  /**
   * The person's learned send hour at entry (engine/state/send-hours.ts), for waitUntil "best"; set only
   * when the rule has such a step and the person has history. Absent: the step's fallback time.
   */
  sendHour?: LearnedSendHour;
}

/** The step machine's context for a journey; the workflow and the simulator both build it here. */
export function machineContextFor(input: JourneyInput): MachineContext {
  const trait = input.traits.timezone;
  return {
    program: compileProgram(input.rule.steps),
    exitOn: input.rule.exitOn,
    ...(input.rule.goal ? { goal: input.rule.goal, goalFrom: Date.parse(input.trigger.timestamp) } : {}),
    waitScale: input.waitScale,
    timezone: typeof trait === 'string' && trait ? trait : input.rule.timezone ?? input.defaultTimezone ?? 'UTC',
    quietHours: input.quietHours ?? {},
    control: input.assignment === 'control',
    onNoConsent: input.rule.onNoConsent ?? 'continue',
    ruleId: input.rule.id,
    userId: input.userId,
    ...(input.sendHour ? { sendHour: input.sendHour } : {}),
    ...(input.recheck && input.rule.trigger.conditions ? { recheck: { ...input.recheck, conditions: input.rule.trigger.conditions, trigger: input.trigger } } : {}),
  };
}

export interface JourneyResult {
  journeyId: string;
  ruleId: string;
  ruleVersion: number;
  reason: ExitReason;
  assignment?: 'control' | 'treatment';
  log: JourneyAction[];
}
