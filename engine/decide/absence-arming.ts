/**
 * Arming and disarming absence timers when an event arrives (decide.ts calls it for every behavior
 * event); the timer's own decision, fired or stale, is in decide-absence.ts. Kept apart so decide.ts
 * needs nothing from the file that builds on it.
 */
import type { JourneyEvent } from '../../workflows/journey/machine';
import type { CompiledAbsence } from '../match/absence-index';
import type { ArmedAbsence, UserState } from '../state/behavior-state';
import type { DecideContext, Effect } from './decide';

/**
 * Arms and disarms the absence rules watching this event (changing `state` in place: callers pass their
 * own copy). `eventFact`: the event as conditions see it; `at`: its time. An occurrence older than the
 * armed one (a late event) changes nothing: the timer counts from the newest occurrence.
 */
export function absenceOnEvent(ctx: DecideContext, state: UserState, eventFact: Record<string, unknown>, journeyEvent: JourneyEvent, at: number, effects: Effect[]): void {
  const watching = ctx.rules.absences.watching(journeyEvent.event);
  if (!watching.length) return;
  const evaluation = { event: eventFact, traits: state.traits, state, now: state.clock, before: at, tags: ctx.rules.tags };
  for (const absence of watching) {
    const ruleId = absence.compiled.rule.id;
    const newer = (armed: ArmedAbsence | undefined) => !armed || at >= armed.since;
    const watchedHappened = absence.watched.event === journeyEvent.event && absence.watched.matches.matches(evaluation);
    if (absence.after) {
      // "Within `for` after": the watched event, after the arming one, cancels the wait.
      if (watchedHappened && state.absence?.[ruleId] && newer(state.absence[ruleId])) disarm(state, ruleId, effects);
      if (absence.after.event === journeyEvent.event && absence.after.matches.matches(evaluation) && newer(state.absence?.[ruleId])) arm(ctx, state, absence, journeyEvent, at, effects);
    } else if (watchedHappened && newer(state.absence?.[ruleId])) {
      arm(ctx, state, absence, journeyEvent, at, effects);
    }
  }
}

function arm(ctx: DecideContext, state: UserState, absence: CompiledAbsence, event: JourneyEvent, at: number, effects: Effect[]): void {
  const ruleId = absence.compiled.rule.id;
  // `for` is a wait like a journey's: NUDGE_DAY_LENGTH (waitScale) shortens it for demos and tests.
  const armed: ArmedAbsence = { event, since: at, due: at + Math.round(absence.forMs * ctx.waitScale) };
  state.absence = { ...state.absence, [ruleId]: armed };
  effects.push({ kind: 'armAbsence', control: { person: state.userKey, ruleId, armedBy: event.messageId, due: armed.due } });
}

function disarm(state: UserState, ruleId: string, effects: Effect[]): void {
  state.absence = withoutRule(state.absence, ruleId);
  effects.push({ kind: 'disarmAbsence', person: state.userKey, ruleId });
}

export function withoutRule(absence: UserState['absence'], ruleId: string): UserState['absence'] {
  if (!absence) return undefined;
  const { [ruleId]: _gone, ...rest } = absence;
  return Object.keys(rest).length ? rest : undefined;
}
