/**
 * The journey step machine: a pure function of (program, state, input) -> (state, command, log).
 * The Temporal workflow and the virtual-clock simulator are thin drivers around it: they execute the
 * command (call an activity, wait, evaluate a condition) and feed the outcome back in. It never reads
 * a clock; every input carries `now`.
 */
import type { ExitEvent } from '../../rules/schema/rule';
import type { TopLevelCondition } from '../../rules/schema/conditions';
import type { Step } from '../../rules/schema/steps';
import type { QuietHours } from '../../rules/schema/guardrails';
import { pickVariant } from './assignment';
import { nodeAt, type Program } from './program';
import { insideQuietHours, quietHoursEnd } from './quiet-hours';
import { parseDuration } from '../../rules/schema/parse-duration';
import { nextLocalTime } from './wait-until';
import { recheckCommand, recheckDeadline, type TriggerRecheckContext } from './trigger-recheck';

export type ActionStep = Extract<Step, { type: 'coupon' | 'email' | 'sms' | 'webhook' }>;

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

/** Identity stitching told this journey that its person was merged and which journey of the rule survives. */
export interface MergedNotice {
  /** The surviving person's id. */
  into: string;
  /** The journey of this rule that continues (the other half's, or this one if it was kept). */
  keptJourneyId: string;
  /** When the merge happened (ISO-8601). */
  at: string;
}

export type Command =
  | { kind: 'perform'; step: ActionStep }
  /** `asOf`: evaluate as of that time (windows end there), unless the state is older than `seq` (the trigger re-check). */
  | { kind: 'evaluate'; stepId: string | null; conditions: TopLevelCondition; event: JourneyEvent | null; asOf?: { at: number; seq: number } }
  | { kind: 'wait'; stepId: string; until: number; listen: string[] }
  | { kind: 'finish'; reason: ExitReason; stepId: string | null };

/** What a perform command produced: delivered (with details for the log) or skipped with a reason. */
export type PerformResult =
  | { status: 'done'; details: Record<string, string | number> }
  | { status: 'skipped'; reason: string; detail?: string }
  /** Not now (e.g. over a frequency cap with policy defer): try the same step again at `until`. */
  | { status: 'deferred'; reason: string; until: number };

export interface JourneyAction {
  at: number;
  step: string | null;
  action: 'coupon' | 'email' | 'sms' | 'webhook' | 'wait' | 'branch' | 'skip' | 'exit';
  [detail: string]: unknown;
}

type Check =
  | { purpose: 'branch'; stepId: string }
  | { purpose: 'exit'; event: JourneyEvent; exitIndex: number }
  | { purpose: 'waitFor'; stepId: string; event: JourneyEvent }
  | { purpose: 'trigger' };

export interface JourneyState {
  /** Next action step to perform, or the step being waited on. */
  at: string | null;
  /** End of the current wait (ms); +Infinity for a waitForEvent without a timeout; null when not waiting. */
  waitUntil: number | null;
  check: Check | null;
  /** While an exit condition is evaluated, the state to return to if it does not hold. */
  resume: JourneyState | null;
  coupon: string | null;
  done: { reason: ExitReason; stepId: string | null } | null;
  /** When the trigger re-check is due before the next action step (ms); absent or null: none is. */
  recheckAt?: number | null;
}

export interface MachineContext {
  program: Program;
  exitOn: ExitEvent[];
  /** Multiplies wait durations and timeouts (1 = real time; the demo shortens days to seconds). */
  waitScale: number;
  /** The user's time zone: waitUntil steps that name none and quiet hours use it. */
  timezone: string;
  /** Quiet hours per channel (global settings merged with the rule's). */
  quietHours: Partial<Record<'email' | 'sms', QuietHours>>;
  /** Holdout control group: every action step is skipped with reason holdout. */
  control: boolean;
  onNoConsent: 'continue' | 'exit';
  /** Rule and user ids, for deterministic split assignment. */
  ruleId: string;
  userId: string;
  /** Allowed lateness: re-check the trigger before the first action step (trigger-recheck.ts). Absent: never. */
  recheck?: TriggerRecheckContext;
}

export interface Transition {
  state: JourneyState;
  command: Command;
  log: JourneyAction[];
}

const scaled = (ctx: MachineContext, durationMs: number) => Math.max(1, Math.round(durationMs * ctx.waitScale));

export function startJourney(ctx: MachineContext, now: number): Transition {
  const recheckAt = recheckDeadline(ctx.recheck, now);
  const initial: JourneyState = { at: ctx.program.first, waitUntil: null, check: null, resume: null, coupon: null, done: null, ...(recheckAt !== null ? { recheckAt } : {}) };
  return settle(ctx, initial, now, []);
}

/** The command a stable state asks for. */
export function commandFor(ctx: MachineContext, state: JourneyState): Command {
  if (state.done) return { kind: 'finish', reason: state.done.reason, stepId: state.done.stepId };
  if (state.check) return evaluateCommand(ctx, state.check);
  const node = nodeAt(ctx.program, state.at!);
  if (state.waitUntil !== null) return { kind: 'wait', stepId: node.step.id, until: state.waitUntil, listen: listenedEvents(ctx, node.step) };
  return { kind: 'perform', step: node.step as ActionStep };
}

/** Every event name a running journey may need to hear about (exit events and wait-for events). */
export function listenedEvents(ctx: Pick<MachineContext, 'exitOn'>, waitingStep?: Step): string[] {
  const names = new Set(ctx.exitOn.map((exit) => exit.event));
  if (waitingStep?.type === 'waitForEvent') names.add(waitingStep.event);
  return [...names];
}

export function onPerformed(ctx: MachineContext, state: JourneyState, result: PerformResult, now: number): Transition {
  const node = nodeAt(ctx.program, state.at!);
  const step = node.step as ActionStep;
  const log: JourneyAction[] = [];
  let coupon = state.coupon;
  if (result.status === 'deferred') {
    const deferred = { ...state, waitUntil: result.until };
    log.push({ at: now, step: step.id, action: 'wait', until: new Date(result.until).toISOString(), reason: result.reason });
    return { state: deferred, command: commandFor(ctx, deferred), log };
  }
  if (result.status === 'done') {
    log.push({ at: now, step: step.id, action: step.type, ...result.details });
    if (step.type === 'coupon' && typeof result.details.code === 'string') coupon = result.details.code;
  } else {
    log.push({ at: now, step: step.id, action: 'skip', reason: result.reason, ...(result.detail ? { detail: result.detail } : {}) });
    if (result.reason === 'no_consent' && ctx.onNoConsent === 'exit') return finish({ ...state, coupon }, 'no_consent', step.id, now, {}, log);
  }
  return settle(ctx, { ...state, at: node.next, coupon }, now, log);
}

export function onTimer(ctx: MachineContext, state: JourneyState, now: number): Transition {
  if (state.waitUntil === null || now < state.waitUntil) return unchanged(ctx, state);
  const node = nodeAt(ctx.program, state.at!);
  const log: JourneyAction[] = [];
  if (isActionStep(node.step)) return settle(ctx, { ...state, waitUntil: null }, now, log); // a deferred send: try again
  let next = node.next;
  if (node.step.type === 'waitForEvent') {
    next = node.onTimeout ?? null;
    log.push({ at: now, step: node.step.id, action: 'branch', branch: 'timeout' });
  }
  return settle(ctx, { ...state, at: next, waitUntil: null }, now, log);
}

/** An event the journey listens for arrived. Only valid when the current command is perform or wait. */
export function onEvent(ctx: MachineContext, state: JourneyState, event: JourneyEvent, now: number): Transition {
  if (state.done || state.check) return unchanged(ctx, state);
  return considerEvent(ctx, state, event, 0, now);
}

/**
 * The person was merged and another journey of this rule survives: this one ends now, whatever it was
 * doing (a pending condition is dropped unanswered). A journey already done ignores it. Drivers feed it
 * between commands, never while a send is in flight, so a send is never abandoned half-way.
 */
export function onMerged(ctx: MachineContext, state: JourneyState, notice: MergedNotice, now: number): Transition {
  if (state.done) return unchanged(ctx, state);
  return finish(state, 'merged', null, now, { into: notice.into, keptJourneyId: notice.keptJourneyId });
}

/** A new version of the journey's rule was deployed, and it ends running journeys of other versions. */
export interface RuleChangedNotice {
  /** The version now deployed. */
  ruleVersion: number;
  /** The deployed rule set revision that carries it (null: the engine's rule files). */
  revision: number | null;
}

/** Like a merge notice: ends the journey between commands (a send in flight finishes first); a journey already done ignores it. */
export function onRuleChanged(ctx: MachineContext, state: JourneyState, notice: RuleChangedNotice, now: number): Transition {
  if (state.done) return unchanged(ctx, state);
  return finish(state, 'rule_changed', null, now, { ruleVersion: notice.ruleVersion, revision: notice.revision });
}

export function onEvaluated(ctx: MachineContext, state: JourneyState, holds: boolean, now: number): Transition {
  const check = state.check;
  if (!check) throw new Error('onEvaluated called while no condition was being evaluated');
  const log: JourneyAction[] = [];
  switch (check.purpose) {
    case 'branch': {
      const node = nodeAt(ctx.program, check.stepId);
      log.push({ at: now, step: check.stepId, action: 'branch', branch: holds ? 'then' : 'else' });
      return settle(ctx, { ...state, check: null, at: (holds ? node.then : node.else) ?? null }, now, log);
    }
    case 'exit': {
      if (holds) return finish(state, 'exit_event', null, now, { event: check.event.event, messageId: check.event.messageId });
      const resumed = state.resume!;
      return considerEvent(ctx, resumed, check.event, check.exitIndex + 1, now);
    }
    case 'waitFor': {
      const resumed = { ...state, check: null };
      if (!holds) return { state: resumed, command: commandFor(ctx, resumed), log };
      return takeWaitedEvent(ctx, resumed, check.stepId, check.event, now);
    }
    case 'trigger':
      if (!holds) return finish(state, 'trigger_no_longer_true', null, now, { asOf: new Date(ctx.recheck!.asOf).toISOString() });
      return settle(ctx, { ...state, check: null, recheckAt: null }, now, log);
  }
}

function considerEvent(ctx: MachineContext, state: JourneyState, event: JourneyEvent, fromExit: number, now: number): Transition {
  for (let i = fromExit; i < ctx.exitOn.length; i++) {
    const exit = ctx.exitOn[i]!;
    if (exit.event !== event.event) continue;
    if (!exit.conditions) return finish(state, 'exit_event', null, now, { event: event.event, messageId: event.messageId });
    const checking: JourneyState = { ...state, check: { purpose: 'exit', event, exitIndex: i }, resume: state };
    return { state: checking, command: commandFor(ctx, checking), log: [] };
  }
  const node = state.at ? nodeAt(ctx.program, state.at) : null;
  if (node?.step.type === 'waitForEvent' && state.waitUntil !== null && node.step.event === event.event) {
    if (node.step.conditions) {
      const checking: JourneyState = { ...state, check: { purpose: 'waitFor', stepId: node.step.id, event }, resume: null };
      return { state: checking, command: commandFor(ctx, checking), log: [] };
    }
    return takeWaitedEvent(ctx, state, node.step.id, event, now);
  }
  return unchanged(ctx, { ...state, check: null, resume: null });
}

function takeWaitedEvent(ctx: MachineContext, state: JourneyState, stepId: string, event: JourneyEvent, now: number): Transition {
  const node = nodeAt(ctx.program, stepId);
  const log: JourneyAction[] = [{ at: now, step: stepId, action: 'branch', branch: 'event', event: event.event, messageId: event.messageId }];
  return settle(ctx, { ...state, at: node.onEvent ?? null, waitUntil: null }, now, log);
}

/** Runs the steps that need no outside work (waits, branches, exits) until the machine needs something. */
function settle(ctx: MachineContext, state: JourneyState, now: number, log: JourneyAction[]): Transition {
  let current: JourneyState = { ...state, check: null, resume: null };
  for (;;) {
    if (current.at === null) return finish(current, 'completed', null, now, {}, log);
    const node = nodeAt(ctx.program, current.at);
    const step = node.step;
    switch (step.type) {
      case 'coupon': case 'email': case 'sms': case 'webhook': {
        // Allowed lateness: nothing leaves the journey before its trigger has been checked again.
        if (current.recheckAt != null) {
          const due = now >= current.recheckAt;
          current = due ? { ...current, check: { purpose: 'trigger' } } : { ...current, waitUntil: current.recheckAt };
          if (!due) log.push({ at: now, step: step.id, action: 'wait', until: new Date(current.recheckAt!).toISOString(), reason: 'allowed_lateness' });
          return { state: current, command: commandFor(ctx, current), log };
        }
        if (ctx.control) {
          log.push({ at: now, step: step.id, action: 'skip', reason: 'holdout' });
          current = { ...current, at: node.next };
          continue;
        }
        const quiet = step.type === 'email' || step.type === 'sms' ? ctx.quietHours[step.type] : undefined;
        if (quiet && insideQuietHours(now, quiet, ctx.timezone)) {
          if (quiet.policy === 'skip') {
            log.push({ at: now, step: step.id, action: 'skip', reason: 'quiet_hours' });
            current = { ...current, at: node.next };
            continue;
          }
          const until = quietHoursEnd(now, quiet, ctx.timezone);
          current = { ...current, waitUntil: until };
          log.push({ at: now, step: step.id, action: 'wait', until: new Date(until).toISOString(), reason: 'quiet_hours', timezone: ctx.timezone });
          return { state: current, command: commandFor(ctx, current), log };
        }
        return { state: current, command: commandFor(ctx, current), log };
      }
      case 'split': {
        const variants = node.variants ?? [];
        const chosen = variants[pickVariant(ctx.ruleId, ctx.userId, step.id, variants.map((v) => v.weight))]!;
        log.push({ at: now, step: step.id, action: 'branch', branch: chosen.name });
        current = { ...current, at: chosen.first };
        continue;
      }
      case 'wait':
      case 'waitForEvent': {
        // A waitForEvent without a timeout waits until its event (or an exit event) arrives.
        const timeout = step.type === 'wait' ? step.duration : step.timeout;
        const until = timeout === undefined ? Number.POSITIVE_INFINITY : now + scaled(ctx, parseDuration(timeout));
        current = { ...current, waitUntil: until };
        log.push({ at: now, step: step.id, action: 'wait', until: Number.isFinite(until) ? new Date(until).toISOString() : null, ...(step.type === 'waitForEvent' ? { for: step.event } : {}) });
        return { state: current, command: commandFor(ctx, current), log };
      }
      case 'waitUntil': {
        const zone = step.timezone ?? ctx.timezone;
        const until = nextLocalTime(now, step.time, zone);
        current = { ...current, waitUntil: until };
        log.push({ at: now, step: step.id, action: 'wait', until: new Date(until).toISOString(), timezone: zone });
        return { state: current, command: commandFor(ctx, current), log };
      }
      case 'branch':
        current = { ...current, check: { purpose: 'branch', stepId: step.id } };
        return { state: current, command: commandFor(ctx, current), log };
      case 'exit':
        return finish(current, 'exit_step', step.id, now, {}, log);
    }
  }
}

function finish(state: JourneyState, reason: ExitReason, stepId: string | null, now: number, details: Record<string, unknown>, log: JourneyAction[] = []): Transition {
  const done: JourneyState = { ...state, check: null, resume: null, waitUntil: null, done: { reason, stepId } };
  log.push({ at: now, step: stepId, action: 'exit', reason, ...details });
  return { state: done, command: { kind: 'finish', reason, stepId }, log };
}

function isActionStep(step: Step): step is ActionStep {
  return step.type === 'coupon' || step.type === 'email' || step.type === 'sms' || step.type === 'webhook';
}

function unchanged(ctx: MachineContext, state: JourneyState): Transition {
  return { state, command: commandFor(ctx, state), log: [] };
}

function evaluateCommand(ctx: MachineContext, check: Check): Command {
  switch (check.purpose) {
    case 'branch': {
      const step = nodeAt(ctx.program, check.stepId).step;
      if (step.type !== 'branch') throw new Error(`step "${check.stepId}" is not a branch`);
      return { kind: 'evaluate', stepId: step.id, conditions: step.conditions, event: null };
    }
    case 'exit':
      return { kind: 'evaluate', stepId: null, conditions: ctx.exitOn[check.exitIndex]!.conditions!, event: check.event };
    case 'waitFor': {
      const step = nodeAt(ctx.program, check.stepId).step;
      if (step.type !== 'waitForEvent' || !step.conditions) throw new Error(`step "${check.stepId}" has no event conditions`);
      return { kind: 'evaluate', stepId: step.id, conditions: step.conditions, event: check.event };
    }
    case 'trigger':
      return recheckCommand(ctx.recheck);
  }
}
