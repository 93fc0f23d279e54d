/**
 * What goes into the journey step machine besides its state (notices from the engine) and what comes
 * out of it (the command for the driver, what a perform produced, the log). Types only.
 */
import type { TopLevelCondition } from '../../rules/schema/conditions';
import type { ActionStep } from '../../rules/schema/step-tree';
import type { ExitReason, JourneyEvent } from './journey-state';

/** Identity stitching told this journey that its person was merged and which journey of the rule survives. */
export interface MergedNotice {
  /** The surviving person's id. */
  into: string;
  /** The journey of this rule that continues (the other half's, or this one if it was kept). */
  keptJourneyId: string;
  /** When the merge happened (ISO-8601). */
  at: string;
}

/** A new version of the journey's rule was deployed, and it ends running journeys of other versions. */
export interface RuleChangedNotice {
  /** The version now deployed. */
  ruleVersion: number;
  /** The deployed rule set revision that carries it (null: the engine's rule files). */
  revision: number | null;
}

export type Command =
  /** `coupon`: the code an earlier coupon step issued, for the step's templates. */
  | { kind: 'perform'; step: ActionStep; coupon: string | null }
  /** `asOf`: evaluate as of that time (windows end there), unless the state is older than `seq` (the trigger re-check). */
  | { kind: 'evaluate'; stepId: string | null; conditions: TopLevelCondition; event: JourneyEvent | null; asOf?: { at: number; seq: number } }
  /** `stepId` null: waiting for the goal after the last step (journey-state.ts Watching). */
  | { kind: 'wait'; stepId: string | null; until: number; listen: string[] }
  | { kind: 'finish'; reason: ExitReason; stepId: string | null };

/** What a perform command produced: delivered (with details for the log) or skipped with a reason. */
export type PerformResult =
  | { status: 'done'; details: Record<string, string | number> }
  | { status: 'skipped'; reason: string; detail?: string }
  /** Not now (e.g. over a frequency cap with policy defer): try the same step again at `until`. */
  | { status: 'deferred'; reason: string; until: number };

export interface JourneyAction {
  at: number;
  step: string | null;
  action: 'coupon' | 'email' | 'sms' | 'webhook' | 'wait' | 'branch' | 'skip' | 'exit' | 'converted';
  [detail: string]: unknown;
}
