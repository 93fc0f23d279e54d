/**
 * The engine's pure core: (rules, state, input) → (new state, effects, outcome). Every driver — the
 * engine's batched partition loop, the one-message-at-a-time processor the simulator and tests use,
 * and the merge hand-off — calls these functions and only executes the effects they return, so what
 * the simulator shows is what production does. Nothing here does I/O or reads a clock; the state passed
 * in is never changed (a failed batch is simply thrown away and replayed).
 *
 * Effects and when a driver must execute them (see partition-batch.ts for the crash argument):
 *   before the state is saved: `start`, `forward`, `absorb`, `exitMerged`, `phone`, `armAbsence`,
 *   `disarmAbsence` (all idempotent, so a
 *   crash after them and before the save is repaired by replaying the input);
 *   after the state is saved: the state's `outbox` signals (so a journey that reads the state on
 *   receiving an event sees it counted), then the outbox is cleared.
 */
import { mergeChannelSettings } from '../../rules/schema/guardrails';
import { inHoldout } from '../../workflows/journey/assignment';
import type { EntrySnapshot, JourneyInput } from '../../workflows/journey/journey-input';
import type { JourneyEvent, MergedNotice } from '../../workflows/journey/machine';
import type { SendQueues } from '../../workflows/journey/send-queues';
import type { GlobalGuardrails } from './global-guardrails';
import { absenceOnEvent } from './absence-arming';
import type { AbsenceEffect } from './decide-absence';
import { behaviorEventOf, type BehaviorEvent, type EventEnvelope } from '../events/envelope';
import type { MergeRecord } from '../events/merge-record';
import { decideEntry } from '../match/entry-policy';
import type { LeafOutcome } from '../match/evaluate-conditions';
import type { CompiledRule, RuleIndex } from '../match/rule-index';
import { applyEvent, type UserState } from '../state/behavior-state';
import type { CounterPlan } from '../state/counter-plan';
import { allowedLatenessOf, planWithLateness } from '../state/lateness';
import { sendHourFor } from './send-hour';

/** What happened with one candidate rule, with every condition leaf's value when asked for (`explain`). */
export type RuleDecision = { ruleId: string; leaves: LeafOutcome[] } & (
  | { outcome: 'started' | 'already_started'; workflowId: string }
  /** Temporal refused the start for good (e.g. an input over its size limit): no journey, the reason in detail. */
  | { outcome: 'rejected'; workflowId: string; detail: string }
  | { outcome: 'no_match' }
  | { outcome: 'entry_policy' | 'already_in_journey'; detail: string }
);

export interface EventOutcome {
  /** The person the input was applied to (the partition message's Nudge-Person). */
  userKey: string;
  /** event: a behavior or profile event; merge: another person's state was merged into this one; ended: a journey ended. */
  kind?: 'event' | 'merge' | 'ended';
  /** Set when the person had been merged into another: the input was passed on to that person. */
  forwardedTo?: string;
  /** For kind merge: the person merged in. */
  mergedFrom?: string;
  /** True when the input had been applied before (a replay after a crash) and was skipped. */
  duplicate: boolean;
  signalled: string[];
  decisions: RuleDecision[];
  /** For an absence timer (decide-absence.ts): fired (then decided as usual), or stale (re-armed, disarmed or fired since). */
  timer?: 'fired' | 'stale';
}

/** The state of person `from` handed over to person `into`, with the merge that caused it. */
export interface AbsorbControl extends MergeRecord {
  state: UserState;
}

/** A journey tells its person's partition that it ended, so the person may enter that rule again. */
export interface JourneyEndedNotice {
  person: string;
  ruleId: string;
  workflowId: string;
}

export type Effect =
  | { kind: 'start'; input: JourneyInput; ruleId: string }
  | { kind: 'forward'; to: string; event: EventEnvelope }
  | { kind: 'forwardEnded'; to: string; notice: JourneyEndedNotice }
  | { kind: 'absorb'; into: string; control: AbsorbControl }
  | { kind: 'exitMerged'; workflowId: string; notice: MergedNotice }
  | { kind: 'phone'; phone: string; userKey: string }
  | AbsenceEffect;

export interface Decision {
  /** The new state, or null when the input changed nothing (a duplicate, a forward). */
  state: UserState | null;
  effects: Effect[];
  outcome: EventOutcome;
}

export interface DecideContext {
  rules: RuleIndex;
  waitScale: number;
  guardrails?: GlobalGuardrails;
  /** Record every condition leaf's value in the decisions (explain, simulator hooks); off in the engine's hot path. */
  withLeaves?: boolean;
}

/** A behavior event (track, page, screen) as journeys receive it: under its behavior name. */
export function toJourneyEvent(event: EventEnvelope, behavior: BehaviorEvent): JourneyEvent {
  return { messageId: event.messageId, event: behavior.name, timestamp: event.timestamp, properties: behavior.properties };
}

export const newOutcome = (userKey: string, kind: EventOutcome['kind']): EventOutcome => ({ userKey, kind, duplicate: false, signalled: [], decisions: [] });

/** A behavior, identify or group event at stream sequence `seq`, for `person`. */
export function decideEvent(ctx: DecideContext, before: UserState, event: EventEnvelope, seq: number, person: string): Decision {
  const outcome = newOutcome(person, 'event');
  if (before.mergedInto) {
    // Routed before the resolver knew of the merge: the survivor's partition applies it.
    return { state: null, effects: [{ kind: 'forward', to: before.mergedInto, event }], outcome: { ...outcome, forwardedTo: before.mergedInto } };
  }
  if (seq <= before.lastSeq) return { state: null, effects: [], outcome: { ...outcome, duplicate: true } };

  const effects: Effect[] = [];
  const state = applyEvent(before, event, seq, countersPlan(ctx));
  if (event.type === 'identify' && typeof event.traits.phone === 'string') effects.push({ kind: 'phone', phone: event.traits.phone, userKey: person });
  const behavior = behaviorEventOf(event);
  if (behavior) {
    const journeyEvent = toJourneyEvent(event, behavior);
    const listening = Object.entries(state.journeys).filter(([, marker]) => marker.listens.includes(journeyEvent.event));
    if (listening.length) state.outbox = [...(state.outbox ?? []), ...listening.map(([ruleId, marker]) => ({ ruleId, workflowId: marker.workflowId, event: journeyEvent }))];
    // Conditions see the envelope under its behavior name and properties (a page as `page_viewed` with `path`).
    const eventFact: Record<string, unknown> = { ...event, event: behavior.name, properties: behavior.properties };
    const at = Date.parse(event.timestamp);
    const entry: EntryCache = {};
    for (const candidate of ctx.rules.candidates(behavior.name, behavior.properties)) {
      considerRule(ctx, candidate, state, eventFact, journeyEvent, at, seq, outcome, effects, entry);
    }
    absenceOnEvent(ctx, state, eventFact, journeyEvent, at, effects);
  }
  return { state, effects, outcome };
}

/** The counter plan with NUDGE_ALLOWED_LATENESS applied: counters keep what trigger re-checks need. */
export const countersPlan = (ctx: DecideContext): CounterPlan => planWithLateness(ctx.rules.plan, ctx.guardrails?.allowedLatenessMs ?? 0);

/** The tag snapshot of journeys started by one input, computed at most once. */
export interface EntryCache {
  snapshot?: EntrySnapshot;
}

/**
 * Evaluates one rule's trigger for an event and enters its journey when the entry policy allows
 * (changing `state` in place: callers pass their own copy). Returns whether the trigger matched. Used for
 * live events and, after a merge, for the merged person's recent trigger events.
 */
export function considerRule(ctx: DecideContext, { rule, trigger, listens }: CompiledRule, state: UserState, eventFact: Record<string, unknown>, journeyEvent: JourneyEvent, at: number, seq: number, outcome: EventOutcome, effects: Effect[], entry: EntryCache): boolean {
  const tags = ctx.rules.tags;
  const evaluation = { event: eventFact, traits: state.traits, state, now: state.clock, before: at, tags, scores: ctx.rules.scores };
  const match = ctx.withLeaves ? trigger.evaluateSync(evaluation) : { passed: trigger.matches(evaluation), leaves: [] };
  if (!match.passed) {
    outcome.decisions.push({ ruleId: rule.id, outcome: 'no_match', leaves: match.leaves });
    return false;
  }
  enterJourney(ctx, { rule, listens }, state, journeyEvent, state.clock, seq, outcome, effects, entry, match.leaves);
  return true;
}

/**
 * Enters `rule`'s journey for a person whose trigger matched, when the entry policy allows (changing
 * `state` in place): the start effect, the entry record and the journey marker. `now` is when the entry
 * happens (an event trigger: the person's clock; an audience: the run's time). Returns whether it entered.
 */
export function enterJourney(ctx: DecideContext, { rule, listens }: Pick<CompiledRule, 'rule' | 'listens'>, state: UserState, journeyEvent: JourneyEvent, now: number, seq: number, outcome: EventOutcome, effects: Effect[], entry: EntryCache, leaves: LeafOutcome[], options: { recheck?: false; sendQueues?: SendQueues } = {}): boolean {
  // A journey marker stays until the journey's own "ended" notice clears it (decideJourneyEnded).
  const decision = decideEntry(rule, state, journeyEvent.messageId, now);
  if (!decision.enter) {
    outcome.decisions.push({ ruleId: rule.id, outcome: decision.reason, detail: decision.detail, leaves });
    return false;
  }
  const { tags, scores } = ctx.rules;
  const personIds = personIdsOf(state);
  // An audience entry has no trigger event whose late arrivals could change it: nothing to re-check.
  const latenessMs = options.recheck === false ? 0 : allowedLatenessOf(rule, ctx.guardrails?.allowedLatenessMs ?? 0);
  const input: JourneyInput = {
    v: 1,
    journeyId: decision.workflowId,
    userId: state.userKey,
    ...(personIds.length ? { personIds } : {}),
    rule,
    trigger: journeyEvent,
    traits: state.traits,
    // computed once per input, when the first journey starts
    ...(tags.names.length || scores.ids.length ? { entry: (entry.snapshot ??= entrySnapshot(ctx.rules, state, seq)) } : {}),
    waitScale: ctx.waitScale,
    quietHours: mergeChannelSettings(ctx.guardrails?.quietHours ?? {}, rule.quietHours),
    frequencyCaps: mergeChannelSettings(ctx.guardrails?.frequencyCaps ?? {}, rule.frequencyCaps),
    defaultTimezone: ctx.guardrails?.defaultTimezone ?? 'UTC',
    ...(rule.holdout > 0 ? { assignment: inHoldout(rule.id, state.userKey, rule.holdout) ? 'control' : 'treatment' } : {}),
    // The trigger is checked again, as of where its windows ended now, once late events had time to arrive.
    ...(latenessMs > 0 ? { recheck: { latenessMs, asOf: state.clock, seq } } : {}),
    ...(options.sendQueues ? { sendQueues: options.sendQueues } : {}),
  };
  const sendHour = sendHourFor(rule, state);
  if (sendHour) input.sendHour = sendHour;
  effects.push({ kind: 'start', input, ruleId: rule.id });
  const previous = state.entries[rule.id];
  // New maps, not writes into the ones `state` came with: those may be shared with the state before the
  // input (applyEvent shares what it does not change), and copying them for every input cost more.
  state.entries = { ...state.entries, [rule.id]: { lastEnteredAt: now, entries: (previous?.entries ?? 0) + 1, lastWorkflowId: decision.workflowId } };
  state.journeys = { ...state.journeys, [rule.id]: { workflowId: decision.workflowId, ruleVersion: rule.version, startedAt: now, listens, endNotice: true } };
  // 'started' until the start says otherwise (already_started on a replay): the driver corrects it.
  outcome.decisions.push({ ruleId: rule.id, outcome: 'started', workflowId: decision.workflowId, leaves });
  return true;
}

/** A journey of `notice.ruleId` ended: the person may enter that rule again (subject to its entry policy). */
export function decideJourneyEnded(state: UserState, notice: JourneyEndedNotice): Decision {
  const outcome = newOutcome(state.userKey, 'ended');
  if (state.mergedInto) {
    return { state: null, effects: [{ kind: 'forwardEnded', to: state.mergedInto, notice }], outcome: { ...outcome, forwardedTo: state.mergedInto } };
  }
  if (state.journeys[notice.ruleId]?.workflowId !== notice.workflowId) return { state: null, effects: [], outcome: { ...outcome, duplicate: true } };
  const journeys = { ...state.journeys };
  delete journeys[notice.ruleId];
  const outbox = state.outbox?.filter((signal) => signal.workflowId !== notice.workflowId);
  return { state: { ...state, journeys, ...(outbox ? { outbox } : {}) }, effects: [], outcome };
}

/** The person's tags and model scores as of their clock, for the journey's messages. */
function entrySnapshot({ tags, scores }: RuleIndex, state: UserState, seq: number): EntrySnapshot {
  return { seq, tags: tags.valuesAt(state, state.clock), ...(scores.ids.length ? { scores: scores.scoresAt(state, state.clock) } : {}) };
}

/** The ids the person's events carried (userId, anonymousIds), besides the person id itself. */
function personIdsOf(state: UserState): string[] {
  const ids = [state.identifiers?.userId, ...(state.identifiers?.anonymousIds ?? [])].filter((id): id is string => Boolean(id) && id !== state.userKey);
  return [...new Set(ids)];
}
