/**
 * Absence triggers, pure: "no page_viewed for 7d", "no order_completed within 3d after trial_will_end".
 *
 * An arriving event that a rule watches arms (or, in the `after` form, disarms) the person's timer for
 * that rule: the state records the arming occurrence (`UserState.absence`) and an `armAbsence` effect
 * asks the driver for a timer message at `due`. The engine's timer is a JetStream scheduled message
 * that lands on the person's partition (platform/nats/absence-timers.ts), the simulator's is on its
 * virtual clock; either way the timer comes back here as an AbsenceTimerControl, decided in order with
 * the person's events by the partition's one writer. A timer whose arming occurrence is no longer the
 * armed one (re-armed since, disarmed, fired already) is stale and changes nothing, so a timer that a
 * driver failed to replace can never fire a re-armed trigger early.
 */
import type { UserState } from '../state/behavior-state';
import { withoutRule } from './absence-arming';
import { enterJourney, newOutcome, type DecideContext, type Decision, type Effect } from './decide';

/** The control header value of a fired absence timer on a partition. */
export const ABSENCE_CONTROL = 'absence';

/** "The absence timer of `ruleId` for `person` is due", as the timer message carries it. */
export interface AbsenceTimerControl {
  person: string;
  ruleId: string;
  /** messageId of the occurrence that armed the timer (ArmedAbsence.event). */
  armedBy: string;
  /** When it fires (ms). */
  due: number;
}

/**
 * Where a driver keeps the timers: JetStream scheduled messages (platform/nats/absence-timers.ts), the
 * simulator's virtual clock. Both calls are idempotent and a later call for the same person and rule
 * replaces the earlier, so a replayed batch arms again harmlessly.
 */
export interface AbsenceTimers {
  arm(control: AbsenceTimerControl): Promise<void>;
  disarm(person: string, ruleId: string): Promise<void>;
}

export type AbsenceEffect =
  | { kind: 'armAbsence'; control: AbsenceTimerControl }
  | { kind: 'disarmAbsence'; person: string; ruleId: string };

/**
 * A timer message reached the person's partition at stream sequence `seq`: "fired" when it is the
 * armed one (then the rule's conditions, tags and entry policy decide as of `due`), else "stale".
 */
export function decideAbsenceTimer(ctx: DecideContext, before: UserState, control: AbsenceTimerControl, seq: number): Decision {
  const outcome = newOutcome(control.person, 'event');
  // Merged away: the survivor's state holds the merged absence entries and armed them again (decide-merge.ts).
  if (before.mergedInto !== undefined) return { state: null, effects: [], outcome: { ...outcome, forwardedTo: before.mergedInto, timer: 'stale' } };
  if (seq <= before.lastSeq) return { state: null, effects: [], outcome: { ...outcome, duplicate: true } };
  const armed = before.absence?.[control.ruleId];
  if (!armed || armed.event.messageId !== control.armedBy || armed.due !== control.due) return { state: null, effects: [], outcome: { ...outcome, timer: 'stale' } };

  const state: UserState = { ...before, lastSeq: seq, absence: withoutRule(before.absence, control.ruleId), journeys: { ...before.journeys }, entries: { ...before.entries } };
  if (!state.absence) delete state.absence;
  const compiled = ctx.rules.byId(control.ruleId);
  const absence = ctx.rules.absences.all.find((a) => a.compiled === compiled);
  // A rule disabled, removed or given another trigger since it was armed enters no one.
  if (!compiled || !absence) return { state, effects: [], outcome: { ...outcome, timer: 'stale' } };
  // Windows end at the due time (or the person's clock, if an event stamped later arrived already).
  const now = Math.max(control.due, state.clock);
  const evaluation = { event: null, traits: state.traits, state, now, before: now, tags: ctx.rules.tags };
  const match = ctx.withLeaves ? compiled.trigger.evaluateSync(evaluation) : { passed: compiled.trigger.matches(evaluation), leaves: [] };
  const fired = { ...outcome, timer: 'fired' as const };
  if (!match.passed) {
    fired.decisions.push({ ruleId: control.ruleId, outcome: 'no_match', leaves: match.leaves });
    return { state, effects: [], outcome: fired };
  }
  const effects: Effect[] = [];
  enterJourney(ctx, compiled, state, armed.event, control.due, seq, fired, effects, {}, match.leaves, { recheck: false });
  return { state, effects, outcome: fired };
}
