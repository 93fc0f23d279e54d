/**
 * What the journey asks its activities: the inputs of performStep and evaluateJourneyConditions. Part
 * of the journey core (driver-core.ts builds them from the machine's commands), implemented by
 * workflows/activities/create-activities.ts, so the core never imports the activities.
 */
import type { FrequencyCap } from '../../rules/schema/guardrails';
import type { TopLevelCondition } from '../../rules/schema/conditions';
import type { EntrySnapshot } from './journey-input';
import type { ActionStep, JourneyEvent } from './machine';

export interface PerformStepInput {
  journeyId: string;
  userId: string;
  rule: { id: string; version: number };
  step: ActionStep;
  trigger: JourneyEvent;
  traits: Record<string, unknown>;
  coupon: string | null;
  /** The frequency cap of the step's channel, resolved when the journey started. */
  frequencyCap?: FrequencyCap;
  /** The user at entry (JourneyInput.entry): tags for a step that runs before the state with the trigger is saved. */
  entry?: EntrySnapshot;
  /** The rule's engagement tracking (rule `tracking`), when it has any. */
  tracking?: { clicks: boolean; opens: boolean };
}

export interface EvaluateInput {
  userId: string;
  conditions: TopLevelCondition;
  event: JourneyEvent;
  /**
   * The trigger re-check (allowed lateness): windows end at `at`, so events after it do not count and
   * late ones before it do. A state saved before the trigger (lastSeq below `seq`) holds no event the
   * engine's decision did not see, so the decision stands.
   */
  asOf?: { at: number; seq: number };
}
