/**
 * Audience entries, pure: who of a scheduled or one-off audience matches, and the decision when an
 * audience entry reaches the person's partition. The scan (engine/audience/) evaluates with
 * `audienceMatches` to find the people and sends each an entry control message; the partition decides
 * it here against the person's current state — the same conditions, then the entry policy — so an
 * entry is written in order with the person's events by the partition's one writer, and a person who
 * changed between the scan and the entry is judged as they are now.
 */
import type { JourneyEvent } from '../../workflows/journey/machine';
import { isOneOffTrigger, isScheduleTrigger } from '../../rules/schema/trigger';
import type { Rule } from '../../rules/schema/rule';
import type { CompiledRule } from '../match/rule-index';
import type { TagSource } from '../match/facts';
import type { UserState } from '../state/behavior-state';
import { sendQueuesOf } from '../../workflows/journey/send-queues';
import { enterJourney, newOutcome, type DecideContext, type Decision } from './decide';

/** The control header value of an audience entry on a partition. */
export const AUDIENCE_CONTROL = 'audience';

/** "Enter `person` into `ruleId`'s journey for audience run `runId`", published to the person's partition. */
export interface AudienceEntryControl {
  person: string;
  ruleId: string;
  /** The run: `launch-<time>` for a one-off launch, the local occurrence (`2026-03-23T09:00`) for a schedule. */
  runId: string;
  /** When the run evaluates the person (ms): windows and secondsSinceLast end here. */
  at: number;
}

export const isAudienceRule = (rule: Rule): boolean => isScheduleTrigger(rule.trigger) || isOneOffTrigger(rule.trigger);

/** The trigger a journey of an audience run records: no event caused it, the run did. */
export function audienceTriggerEvent(control: Pick<AudienceEntryControl, 'runId' | 'at'>): JourneyEvent {
  return { messageId: `audience:${control.runId}`, event: '$audience', timestamp: new Date(control.at).toISOString(), properties: { runId: control.runId } };
}

/**
 * Whether a person belongs to the audience at `at`: a live person (not merged away) whose state meets
 * the trigger's conditions. The scan and the partition both call this.
 */
export function audienceMatches(compiled: CompiledRule, tags: TagSource, state: UserState, at: number): boolean {
  if (state.mergedInto !== undefined) return false;
  // A person whose newest event is stamped after the run is judged at their own clock (windows never end before it).
  const now = Math.max(at, state.clock);
  return compiled.trigger.matches({ event: null, traits: state.traits, state, now, before: now, tags });
}

export function decideAudienceEntry(ctx: DecideContext, before: UserState, control: AudienceEntryControl, seq: number): Decision {
  const outcome = newOutcome(control.person, 'event');
  // A person merged away since the scan: the survivor is in the audience on their own (their state holds both).
  if (before.mergedInto !== undefined) return { state: null, effects: [], outcome: { ...outcome, forwardedTo: before.mergedInto } };
  if (seq <= before.lastSeq) return { state: null, effects: [], outcome: { ...outcome, duplicate: true } };
  const compiled = ctx.rules.byId(control.ruleId);
  const state: UserState = { ...before, lastSeq: seq, journeys: { ...before.journeys }, entries: { ...before.entries } };
  // A rule disabled, removed or turned into an event rule since the scan enters no one.
  if (!compiled || !compiled.rule.enabled || !isAudienceRule(compiled.rule) || !audienceMatches(compiled, ctx.rules.tags, before, control.at)) {
    outcome.decisions.push({ ruleId: control.ruleId, outcome: 'no_match', leaves: [] });
    return { state, effects: [], outcome };
  }
  const effects: Decision['effects'] = [];
  const broadcast = ctx.guardrails?.broadcast;
  const sendQueues = broadcast ? sendQueuesOf(compiled.rule, broadcast.throttle, broadcast.taskQueue) : undefined;
  enterJourney(ctx, compiled, state, audienceTriggerEvent(control), control.at, seq, outcome, effects, {}, [], { recheck: false, ...(sendQueues ? { sendQueues } : {}) });
  return { state, effects, outcome };
}
