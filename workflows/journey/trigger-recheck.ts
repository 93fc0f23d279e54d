/**
 * Allowed lateness. Mobile SDKs send offline batches late, so an event that happened before a journey's
 * trigger can arrive after it (an order placed before the third pricing view). The engine decided on what
 * had arrived; in time order (what `nudge simulate` shows by default) the order keeps the user out. So
 * before its first action step — the first thing that leaves the journey — a journey waits until its
 * trigger is `latenessMs` old, then has the trigger's conditions evaluated again as of the decision's
 * time `asOf` (windows end there and count only events at or before it, now with the late ones) by the
 * same compiled evaluator the engine matched with. If they no longer hold, it ends with reason
 * `trigger_no_longer_true` and nothing is sent. The holdout's control group is re-checked too, so both
 * groups lose the same people.
 *
 * The wait runs from the trigger's timestamp, but never from later than the journey's start (a client
 * clock running ahead would otherwise hold the journey back). A journey that starts after that deadline
 * does not re-check: its trigger itself arrived later than the allowed lateness, and the events before it
 * that arrived within the lateness were there when it was decided.
 */
import type { TopLevelCondition } from '../../rules/schema/conditions';
import type { Command } from './journey-io';
import type { JourneyEvent } from './journey-state';

/** What the engine records at entry (JourneyInput.recheck). */
export interface TriggerRecheck {
  latenessMs: number;
  /** Where the trigger's windows ended when the engine decided: the user's clock then (ms). */
  asOf: number;
  /** The trigger's sequence in the person's partition: a state saved before it holds nothing the decision did not see. */
  seq: number;
}

/** The machine's view of it: with the trigger event and the conditions to evaluate again. */
export interface TriggerRecheckContext extends TriggerRecheck {
  conditions: TopLevelCondition;
  trigger: JourneyEvent;
}

/** When the re-check is due (ms), or null when the journey does without (no lateness, or it started past the deadline). */
export function recheckDeadline(recheck: TriggerRecheckContext | undefined, startedAt: number): number | null {
  if (!recheck || recheck.latenessMs <= 0) return null;
  const triggeredAt = Date.parse(recheck.trigger.timestamp);
  const deadline = Math.min(Number.isNaN(triggeredAt) ? startedAt : triggeredAt, startedAt) + recheck.latenessMs;
  return startedAt < deadline ? deadline : null;
}

/** The evaluation the re-check asks the driver for. */
export function recheckCommand(recheck: TriggerRecheckContext | undefined): Command {
  if (!recheck) throw new Error('a trigger re-check was asked for, but the journey has no allowed lateness');
  return { kind: 'evaluate', stepId: null, conditions: recheck.conditions, event: recheck.trigger, asOf: { at: recheck.asOf, seq: recheck.seq } };
}
