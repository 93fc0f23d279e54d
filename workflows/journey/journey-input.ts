/**
 * The contract between the engine (which starts journeys) and the journey workflow. The rule definition
 * travels inside the input, so editing a rule file never changes a journey that is already running.
 * `v` versions the shape; the workflow refuses inputs it does not understand.
 */
import type { Rule } from '../../rules/schema/rule';
import type { JourneyAction, JourneyEvent } from './machine';

export const JOURNEY_WORKFLOW_TYPE = 'journeyWorkflow';

export interface JourneyInput {
  v: 1;
  journeyId: string;
  userId: string;
  rule: Rule;
  trigger: JourneyEvent;
  /** Profile traits when the user entered (templates and waitUntil time zones read them). */
  traits: Record<string, unknown>;
  /** Multiplies wait durations (1 = real time). Recorded in history, so replays stay deterministic. */
  waitScale: number;
}

export interface JourneyResult {
  journeyId: string;
  ruleId: string;
  ruleVersion: number;
  reason: 'completed' | 'exit_step' | 'exit_event';
  log: JourneyAction[];
}
