/**
 * The goal's part of the machine: when the attribution window ends, which event is a conversion, and
 * what a conversion logs. Pure (every input carries `now`).
 */
import type { Goal } from '../../rules/schema/goal';
import { parseDuration } from '../../rules/schema/parse-duration';
import type { Carried, JourneyEvent } from './journey-state';
import type { JourneyAction } from './journey-io';

/** The window's end for a journey entering at `now` (scaled like waits); null without a goal. */
export function goalWindowEnd(goal: Goal | undefined, waitScale: number, now: number): number | null {
  return goal ? now + Math.max(1, Math.round(parseDuration(goal.within) * waitScale)) : null;
}

/**
 * The event is the goal's, the journey has not converted yet and the window is open (conditions aside).
 * `goalFrom`: the entry's own time (its trigger's timestamp); a goal event that happened before it and
 * only arrived after the journey started (a late event) is no conversion of this journey.
 */
export function mayConvert(goal: Goal | undefined, goalFrom: number | undefined, carried: Carried, event: JourneyEvent, now: number): goal is Goal {
  if (goal === undefined || carried.goalUntil === null || now >= carried.goalUntil || event.event !== goal.event) return false;
  return goalFrom === undefined || !(Date.parse(event.timestamp) < goalFrom);
}

export function convertedAction(event: JourneyEvent, now: number): JourneyAction {
  return { at: now, step: null, action: 'converted', event: event.event, messageId: event.messageId };
}
