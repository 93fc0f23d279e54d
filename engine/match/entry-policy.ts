/**
 * Whether a user may enter a rule's journey now, and the journey's deterministic workflow id. The id is
 * derived from the rule, the user and (for repeatable policies) the triggering messageId, so the same
 * event delivered twice can never start two journeys.
 */
import { parseDuration } from '../../rules/schema/parse-duration';
import type { Rule } from '../../rules/schema/rule';
import type { UserState } from '../state/behavior-state';
import { personRef } from './person-ref';

export type EntryDecision =
  | { enter: true; workflowId: string }
  | { enter: false; reason: 'entry_policy' | 'already_in_journey'; detail: string };

/** Temporal stores workflow ids in the clear: a person key that could be an email or phone is hashed (person-ref.ts). */
export function journeyWorkflowId(ruleId: string, userKey: string, suffix: string): string {
  return `journey/${ruleId}/${personRef(userKey)}/${suffix}`;
}

/** Assumes `state.journeys` only lists journeys known to be running (the engine refreshes stale markers first). */
export function decideEntry(rule: Rule, state: UserState, triggerMessageId: string, now: number): EntryDecision {
  const running = state.journeys[rule.id];
  if (running) return { enter: false, reason: 'already_in_journey', detail: `journey ${running.workflowId} is still running` };
  const previous = state.entries[rule.id];
  switch (rule.entry.policy) {
    case 'once':
      if (previous) return { enter: false, reason: 'entry_policy', detail: `entered once already at ${new Date(previous.lastEnteredAt).toISOString()}` };
      return { enter: true, workflowId: journeyWorkflowId(rule.id, state.userKey, 'once') };
    case 'oncePerWindow': {
      const windowMs = parseDuration(rule.entry.window);
      if (previous && now - previous.lastEnteredAt < windowMs) {
        return { enter: false, reason: 'entry_policy', detail: `entered at ${new Date(previous.lastEnteredAt).toISOString()}, within the ${rule.entry.window} window` };
      }
      return { enter: true, workflowId: journeyWorkflowId(rule.id, state.userKey, triggerMessageId) };
    }
    case 'everyTime':
      return { enter: true, workflowId: journeyWorkflowId(rule.id, state.userKey, triggerMessageId) };
  }
}
