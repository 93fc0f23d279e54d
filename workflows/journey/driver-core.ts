/**
 * The journey driver's rules, once: how signals queue, which input the machine sees next, and what a
 * failed activity means for the journey. The Temporal workflow (journey.workflow.ts) and the simulator
 * (engine/simulate/virtual-journeys.ts) both call these; each only executes the commands (an activity,
 * a timer) and hands the outcome back as a DriverInput. Pure and deterministic: no I/O, no clock.
 */
import type { EvaluateInput, PerformStepInput } from './activity-inputs';
import { assertNever } from '../../shared/assert-never';
import type { JourneyInput } from './journey-input';
import { onEvaluated, onEvent, onMerged, onPerformed, onRuleChanged, onTimer, type Command, type JourneyEvent, type JourneyState, type MachineContext, type MergedNotice, type PerformResult, type RuleChangedNotice, type Transition } from './machine';

/** Signals a journey received and has not fed to the machine yet. */
export interface Inbox {
  events: JourneyEvent[];
  /** messageIds of every event received, so a redelivered event (signalled again) is acted on once. */
  seen: Set<string>;
  /** The first merge notice received; a repeated one (the engine retrying after a crash) changes nothing. */
  merged: MergedNotice | null;
  /** Likewise the first rule-changed notice (every engine may send one after a deploy). */
  ruleChanged: RuleChangedNotice | null;
}

export function emptyInbox(): Inbox {
  return { events: [], seen: new Set(), merged: null, ruleChanged: null };
}

/** A journeyEvent signal; false when the event was received before (it is then ignored). */
export function receiveEvent(inbox: Inbox, event: JourneyEvent): boolean {
  if (inbox.seen.has(event.messageId)) return false;
  inbox.seen.add(event.messageId);
  inbox.events.push(event);
  return true;
}

export function receiveMerged(inbox: Inbox, notice: MergedNotice): void {
  inbox.merged ??= notice;
}

export function receiveRuleChanged(inbox: Inbox, notice: RuleChangedNotice): void {
  inbox.ruleChanged ??= notice;
}

/** Something in the inbox would change what the journey does: a wait ends early to let it in. */
export function wakesWait(inbox: Inbox): boolean {
  return inbox.events.length > 0 || inbox.merged !== null || inbox.ruleChanged !== null;
}

/** What an activity that failed for good (non-retryable, or out of retries) reported. */
export interface ActivityFailed {
  /** The failure's type: a connector's reason (`invalid_phone`, `outcome_unknown`…); absent for an untyped failure (a timeout). */
  type?: string | null;
  message: string;
}

/** Everything a driver feeds the machine. */
export type DriverInput =
  | { kind: 'merged'; notice: MergedNotice }
  | { kind: 'ruleChanged'; notice: RuleChangedNotice }
  | { kind: 'event'; event: JourneyEvent }
  /** The wait's timer fired; `at` is the time it fired (never before the wait's end). */
  | { kind: 'timer'; at: number }
  | { kind: 'performed'; result: PerformResult }
  | { kind: 'performFailed'; failure: ActivityFailed }
  | { kind: 'evaluated'; holds: boolean };

/**
 * The input from the inbox that comes before the command, taken out of the inbox; null: execute the
 * command. A merge notice first, then a rule change, then queued events (only while the machine asks to
 * perform or wait, so an exit event wins over the next send). Drivers call it only between commands, so
 * an activity already in flight (a send) finishes and is logged first: a send is never cut off half-way.
 */
export function takeFromInbox(inbox: Inbox, command: Command): DriverInput | null {
  if (command.kind === 'finish') return null;
  if (inbox.merged) return { kind: 'merged', notice: inbox.merged };
  if (inbox.ruleChanged) return { kind: 'ruleChanged', notice: inbox.ruleChanged };
  if ((command.kind === 'perform' || command.kind === 'wait') && inbox.events.length > 0) return { kind: 'event', event: inbox.events.shift()! };
  return null;
}

/**
 * The one rule for a failed action step: the failure becomes a recorded skip with the failure's type as
 * the reason (`delivery_failed` when it has none) and the journey goes on with its next step. A retry
 * that found the send ledger `pending` (the worker crashed between the provider call and the record)
 * fails as `outcome_unknown`, so a crash mid-send is logged as such and never re-sent. Anything that is
 * not an activity failure (the workflow being cancelled, a bug in a driver) is no journey outcome: the
 * driver lets it propagate.
 */
export function failedStepResult(failure: ActivityFailed): PerformResult {
  return { status: 'skipped', reason: failure.type || 'delivery_failed', detail: failure.message };
}

/** Feeds one input to the machine. */
export function advance(ctx: MachineContext, state: JourneyState, input: DriverInput, now: number): Transition {
  switch (input.kind) {
    case 'merged':
      return onMerged(ctx, state, input.notice, now);
    case 'ruleChanged':
      return onRuleChanged(ctx, state, input.notice, now);
    case 'event':
      return onEvent(ctx, state, input.event, now);
    case 'timer':
      return onTimer(ctx, state, input.at);
    case 'performed':
      return onPerformed(ctx, state, input.result, now);
    case 'performFailed':
      return onPerformed(ctx, state, failedStepResult(input.failure), now);
    case 'evaluated':
      return onEvaluated(ctx, state, input.holds, now);
    default:
      return assertNever(input, 'driver input');
  }
}

/** The performStep activity's input for a perform command. */
export function performStepInput(input: JourneyInput, command: Extract<Command, { kind: 'perform' }>): PerformStepInput {
  const { step } = command;
  const frequencyCap = step.type === 'email' || step.type === 'sms' ? input.frequencyCaps?.[step.type] : undefined;
  return { journeyId: input.journeyId, userId: input.userId, rule: { id: input.rule.id, version: input.rule.version }, step, trigger: input.trigger, traits: input.traits, coupon: command.coupon, ...(frequencyCap ? { frequencyCap } : {}), ...(input.entry ? { entry: input.entry } : {}), ...(input.rule.tracking ? { tracking: input.rule.tracking } : {}) };
}

/** The evaluateJourneyConditions activity's input for an evaluate command (no event: the trigger's). */
export function evaluateInput(input: JourneyInput, command: Extract<Command, { kind: 'evaluate' }>): EvaluateInput {
  return { userId: input.userId, conditions: command.conditions, event: command.event ?? input.trigger, ...(command.asOf ? { asOf: command.asOf } : {}) };
}
