/**
 * The learned send hour a journey input carries (workflows/journey/best-time.ts): decided here, at entry,
 * from the person's state, so the journey and a replay of it never depend on state read later, and the
 * simulator (which enters through the same core) waits for the same hour.
 */
import type { Rule } from '../../rules/schema/rule';
import { walkSteps } from '../../rules/schema/step-tree';
import type { UserState } from '../state/behavior-state';
import { learnedSendHour, type LearnedSendHour } from '../state/send-hours';

// Rules are immutable once loaded: whether one waits for a best time is worked out once per rule object.
const usesBestTime = new WeakMap<Rule, boolean>();

/** The person's learned hour when the rule has a waitUntil "best" step and the person has history; else undefined. */
export function sendHourFor(rule: Rule, state: UserState): LearnedSendHour | undefined {
  let uses = usesBestTime.get(rule);
  if (uses === undefined) {
    uses = [...walkSteps(rule.steps)].some(([step]) => step.type === 'waitUntil' && step.time === 'best');
    usesBestTime.set(rule, uses);
  }
  return uses ? (learnedSendHour(state.sendHours) ?? undefined) : undefined;
}
