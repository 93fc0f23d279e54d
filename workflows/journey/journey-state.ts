/**
 * Where a journey stands between two machine inputs: one of five kinds, each with exactly the fields
 * it needs (a waiting journey has an end, an evaluating one a check, a done one a reason). The Temporal
 * workflow keeps it in memory only and rebuilds it on replay from the same inputs, so its shape is not
 * part of any history; the commands it yields are.
 */

export interface JourneyEvent {
  messageId: string;
  event: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

/** `merged`: another journey of the rule continues for the merged person; `trigger_no_longer_true`: see trigger-recheck.ts. */
export type ExitReason =
  // `rule_changed`: a new version of the rule was deployed, and it says `onNewVersion: exit`.
  | 'rule_changed'
  | 'completed' | 'exit_step' | 'exit_event' | 'no_consent' | 'merged' | 'trigger_no_longer_true';

/** What a running journey carries from step to step. */
export interface Carried {
  /** The code the last coupon step issued ({{ coupon.code }} in later steps); null before any. */
  coupon: string | null;
  /** When the trigger re-check is due before the next action step (ms); null: none is (any more). */
  recheckAt: number | null;
  /** The end of the goal's attribution window (ms) while the journey has not converted; null: no goal, or converted. */
  goalUntil: number | null;
}

/** About to perform the action step `at`. */
export interface Performing extends Carried {
  kind: 'performing';
  at: string;
}

/**
 * Waiting on step `at` until `until` (ms; +Infinity for a waitForEvent without a timeout): a wait
 * step, or an action step held back (quiet hours, a deferring frequency cap, the trigger re-check).
 */
export interface Waiting extends Carried {
  kind: 'waiting';
  at: string;
  until: number;
}

/** A condition is being evaluated; `check` says what for and where the journey goes on. */
export interface Evaluating extends Carried {
  kind: 'evaluating';
  check: Check;
}

/**
 * The steps are done (`reason`, at `stepId`) but the goal's attribution window is still open: the journey
 * waits for the goal event until `until`, then ends with `reason`. Treatment and control persons are
 * watched for the same window, which is what makes their conversion rates comparable.
 */
export interface Watching extends Carried {
  kind: 'watching';
  until: number;
  reason: ExitReason;
  stepId: string | null;
}

export interface Done {
  kind: 'done';
  reason: ExitReason;
  stepId: string | null;
}

export type JourneyState = Performing | Waiting | Evaluating | Watching | Done;
export type Running = Exclude<JourneyState, Done>;

export type Check =
  /** A branch step's conditions: then or else. */
  | { purpose: 'branch'; stepId: string }
  /** An exit event's conditions; if they do not hold, the journey resumes as it was (later exits still considered). */
  | { purpose: 'exit'; event: JourneyEvent; exitIndex: number; resume: Performing | Waiting }
  /** The conditions of the event a waitForEvent step waits for; if they do not hold, the wait goes on. */
  | { purpose: 'waitFor'; event: JourneyEvent; resume: Waiting }
  /** The goal's conditions for an event that may be a conversion; either way the event is then considered as usual. */
  | { purpose: 'goal'; event: JourneyEvent; resume: Performing | Waiting | Watching }
  /** Allowed lateness: the trigger's conditions again, before the action step `at`. */
  | { purpose: 'trigger'; at: string };

export function carriedOf(state: Running): Carried {
  return { coupon: state.coupon, recheckAt: state.recheckAt, goalUntil: state.goalUntil };
}
