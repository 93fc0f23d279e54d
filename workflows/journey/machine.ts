/**
 * The journey step machine: a pure function of (program, state, input) -> (state, command, log).
 * The Temporal workflow and the virtual-clock simulator are thin drivers around it: they execute the
 * command (call an activity, wait, evaluate a condition) and feed the outcome back in. It never reads
 * a clock; every input carries `now`.
 */
import type { ExitEvent } from '../../rules/schema/rule';
import type { Goal } from '../../rules/schema/goal';
import type { QuietHours } from '../../rules/schema/guardrails';
import { assertNever } from '../../shared/assert-never';
import { pickVariant } from './assignment';
import { nodeAt, type Program } from '../../rules/schema/step-program';
import { insideQuietHours, quietHoursEnd } from './quiet-hours';
import { parseDuration } from '../../rules/schema/parse-duration';
import { nextLocalTime } from './wait-until';
import { bestTimeUntil } from './best-time';
import type { LearnedSendHour } from '../../engine/state/send-hours';
import { recheckDeadline, type TriggerRecheckContext } from './trigger-recheck';
import { carriedOf, type Carried, type Done, type ExitReason, type JourneyEvent, type JourneyState, type Performing, type Waiting, type Watching } from './journey-state';
import { actionStepAt, commandFor } from './machine-commands';
import { convertedAction, goalWindowEnd, mayConvert } from './goal-watch';

import type { Command, JourneyAction, MergedNotice, PerformResult, RuleChangedNotice } from './journey-io';

export type { ActionStep } from '../../rules/schema/step-tree';
export type { Check, ExitReason, JourneyEvent, JourneyState } from './journey-state';
export type { Command, JourneyAction, MergedNotice, PerformResult, RuleChangedNotice } from './journey-io';
export { commandFor, listenedEvents } from './machine-commands';

export interface MachineContext {
  program: Program;
  exitOn: ExitEvent[];
  /** The rule's goal: conversions within its window are logged (`converted`), control persons' included. */
  goal?: Goal;
  /** When the entry happened (ms, its trigger's timestamp): goal events from before it are not conversions. Absent: not checked. */
  goalFrom?: number;
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
  /** The person's learned send hour at entry, for waitUntil "best" (best-time.ts); absent: its fallback. */
  sendHour?: LearnedSendHour;
}

export interface Transition {
  state: JourneyState;
  command: Command;
  log: JourneyAction[];
}

const scaled = (ctx: MachineContext, durationMs: number) => Math.max(1, Math.round(durationMs * ctx.waitScale));

export function startJourney(ctx: MachineContext, now: number): Transition {
  return settle(ctx, ctx.program.first, { coupon: null, recheckAt: recheckDeadline(ctx.recheck, now), goalUntil: goalWindowEnd(ctx.goal, ctx.waitScale, now) }, now, []);
}

export function onPerformed(ctx: MachineContext, state: JourneyState, result: PerformResult, now: number): Transition {
  if (state.kind !== 'performing') throw new Error(`a perform result arrived while the journey is ${state.kind}, not performing`);
  const node = nodeAt(ctx.program, state.at);
  const step = actionStepAt(ctx, state.at);
  const log: JourneyAction[] = [];
  let coupon = state.coupon;
  switch (result.status) {
    case 'deferred': {
      const deferred: Waiting = { ...carriedOf(state), kind: 'waiting', at: state.at, until: result.until };
      log.push({ at: now, step: step.id, action: 'wait', until: new Date(result.until).toISOString(), reason: result.reason });
      return { state: deferred, command: commandFor(ctx, deferred), log };
    }
    case 'done':
      log.push({ at: now, step: step.id, action: step.type, ...result.details });
      if (step.type === 'coupon' && typeof result.details.code === 'string') coupon = result.details.code;
      break;
    case 'skipped':
      log.push({ at: now, step: step.id, action: 'skip', reason: result.reason, ...(result.detail ? { detail: result.detail } : {}) });
      if (result.reason === 'no_consent' && ctx.onNoConsent === 'exit') return finish('no_consent', step.id, now, {}, log);
      break;
    default:
      return assertNever(result, 'perform result');
  }
  return settle(ctx, node.next, { ...carriedOf(state), coupon }, now, log);
}

export function onTimer(ctx: MachineContext, state: JourneyState, now: number): Transition {
  if (state.kind === 'watching' && now >= state.until) return finish(state.reason, state.stepId, now, {}); // the window closed unconverted
  if (state.kind !== 'waiting' || now < state.until) return unchanged(ctx, state);
  const node = nodeAt(ctx.program, state.at);
  const step = node.step;
  const log: JourneyAction[] = [];
  switch (step.type) {
    case 'coupon': case 'email': case 'sms': case 'webhook':
      return settle(ctx, state.at, carriedOf(state), now, log); // a held-back send: try again
    case 'waitForEvent':
      log.push({ at: now, step: step.id, action: 'branch', branch: 'timeout' });
      return settle(ctx, node.onTimeout ?? null, carriedOf(state), now, log);
    case 'wait': case 'waitUntil':
      return settle(ctx, node.next, carriedOf(state), now, log);
    case 'branch': case 'split': case 'exit':
      throw new Error(`journey is waiting on step "${step.id}", a ${step.type} step, which never waits`);
    default:
      return assertNever(step, 'step type');
  }
}

/** An event the journey listens for arrived. Only valid when the current command is perform or wait. */
export function onEvent(ctx: MachineContext, state: JourneyState, event: JourneyEvent, now: number): Transition {
  if (state.kind === 'done' || state.kind === 'evaluating') return unchanged(ctx, state);
  if (mayConvert(ctx.goal, ctx.goalFrom, state, event, now)) {
    if (ctx.goal?.conditions) return unchanged(ctx, { ...carriedOf(state), kind: 'evaluating', check: { purpose: 'goal', event, resume: state } });
    return converted(ctx, state, event, now);
  }
  if (state.kind === 'watching') return unchanged(ctx, state); // the steps are done: only the goal matters now
  return considerEvent(ctx, state, event, 0, now);
}

/** A conversion: logged once (the window closes for it), then the event goes on as any other would. */
function converted(ctx: MachineContext, state: Performing | Waiting | Watching, event: JourneyEvent, now: number): Transition {
  const log = [convertedAction(event, now)];
  const after = { ...state, goalUntil: null };
  if (after.kind === 'watching') return finish(after.reason, after.stepId, now, {}, log);
  const t = considerEvent(ctx, after, event, 0, now);
  return { ...t, log: [...log, ...t.log] };
}

/**
 * The person was merged and another journey of this rule survives: this one ends now, whatever it was
 * doing (a pending condition is dropped unanswered). A journey already done ignores it. Drivers feed it
 * between commands, never while a send is in flight, so a send is never abandoned half-way.
 */
export function onMerged(ctx: MachineContext, state: JourneyState, notice: MergedNotice, now: number): Transition {
  if (state.kind === 'done') return unchanged(ctx, state);
  return finish('merged', null, now, { into: notice.into, keptJourneyId: notice.keptJourneyId });
}

/** Like a merge notice: ends the journey between commands (a send in flight finishes first); a journey already done ignores it. */
export function onRuleChanged(ctx: MachineContext, state: JourneyState, notice: RuleChangedNotice, now: number): Transition {
  if (state.kind === 'done') return unchanged(ctx, state);
  return finish('rule_changed', null, now, { ruleVersion: notice.ruleVersion, revision: notice.revision });
}

export function onEvaluated(ctx: MachineContext, state: JourneyState, holds: boolean, now: number): Transition {
  if (state.kind !== 'evaluating') throw new Error(`onEvaluated called while the journey is ${state.kind}, not evaluating a condition`);
  const { check } = state;
  const log: JourneyAction[] = [];
  switch (check.purpose) {
    case 'branch': {
      const node = nodeAt(ctx.program, check.stepId);
      log.push({ at: now, step: check.stepId, action: 'branch', branch: holds ? 'then' : 'else' });
      return settle(ctx, (holds ? node.then : node.else) ?? null, carriedOf(state), now, log);
    }
    case 'exit':
      if (holds) return finish('exit_event', null, now, { event: check.event.event, messageId: check.event.messageId });
      return considerEvent(ctx, check.resume, check.event, check.exitIndex + 1, now);
    case 'waitFor':
      if (!holds) return unchanged(ctx, check.resume);
      return takeWaitedEvent(ctx, check.resume, check.event, now);
    case 'goal':
      if (holds) return converted(ctx, check.resume, check.event, now);
      return check.resume.kind === 'watching' ? unchanged(ctx, check.resume) : considerEvent(ctx, check.resume, check.event, 0, now);
    case 'trigger':
      if (!holds) return finish('trigger_no_longer_true', null, now, { asOf: new Date(ctx.recheck!.asOf).toISOString() });
      return settle(ctx, check.at, { ...carriedOf(state), recheckAt: null }, now, log);
    default:
      return assertNever(check, 'condition check');
  }
}

function considerEvent(ctx: MachineContext, state: Performing | Waiting, event: JourneyEvent, fromExit: number, now: number): Transition {
  for (let i = fromExit; i < ctx.exitOn.length; i++) {
    const exit = ctx.exitOn[i]!;
    if (exit.event !== event.event) continue;
    if (!exit.conditions) return finish('exit_event', null, now, { event: event.event, messageId: event.messageId });
    return unchanged(ctx, { ...carriedOf(state), kind: 'evaluating', check: { purpose: 'exit', event, exitIndex: i, resume: state } });
  }
  const step = nodeAt(ctx.program, state.at).step;
  if (state.kind === 'waiting' && step.type === 'waitForEvent' && step.event === event.event) {
    if (step.conditions) return unchanged(ctx, { ...carriedOf(state), kind: 'evaluating', check: { purpose: 'waitFor', event, resume: state } });
    return takeWaitedEvent(ctx, state, event, now);
  }
  return unchanged(ctx, state);
}

function takeWaitedEvent(ctx: MachineContext, state: Waiting, event: JourneyEvent, now: number): Transition {
  const node = nodeAt(ctx.program, state.at);
  const log: JourneyAction[] = [{ at: now, step: state.at, action: 'branch', branch: 'event', event: event.event, messageId: event.messageId }];
  return settle(ctx, node.onEvent ?? null, carriedOf(state), now, log);
}

// (settle's helpers are functions of their own, not closures: run under tsx, each closure made per call
// costs a defineProperty of its name, and settle runs for every step of every journey)
function stop(ctx: MachineContext, state: JourneyState, log: JourneyAction[]): Transition {
  return { state, command: commandFor(ctx, state), log };
}

/** The steps are done; with the goal's window still open the journey watches for the goal until it ends. */
function end(ctx: MachineContext, carried: Carried, now: number, log: JourneyAction[], reason: ExitReason, stepId: string | null): Transition {
  if (carried.goalUntil === null || now >= carried.goalUntil) return finish(reason, stepId, now, {}, log);
  log.push({ at: now, step: null, action: 'wait', until: new Date(carried.goalUntil).toISOString(), reason: 'goal_window' });
  return stop(ctx, { ...carried, kind: 'watching', until: carried.goalUntil, reason, stepId }, log);
}

function waitFor(ctx: MachineContext, carried: Carried, stepId: string, until: number, log: JourneyAction[]): Transition {
  return stop(ctx, { ...carried, kind: 'waiting', at: stepId, until }, log);
}

/**
 * From step `at` on, runs the steps that need no outside work (holdout and quiet-hours skips, splits,
 * exits) until the machine needs something: a perform, a wait, an evaluation, or the end.
 */
function settle(ctx: MachineContext, at: string | null, carried: Carried, now: number, log: JourneyAction[]): Transition {
  for (let position = at; ; ) {
    if (position === null) return end(ctx, carried, now, log, 'completed', null);
    const node = nodeAt(ctx.program, position);
    const step = node.step;
    switch (step.type) {
      case 'coupon': case 'email': case 'sms': case 'webhook': {
        // Allowed lateness: nothing leaves the journey before its trigger has been checked again.
        if (carried.recheckAt !== null) {
          if (now >= carried.recheckAt) return stop(ctx, { ...carried, kind: 'evaluating', check: { purpose: 'trigger', at: step.id } }, log);
          log.push({ at: now, step: step.id, action: 'wait', until: new Date(carried.recheckAt).toISOString(), reason: 'allowed_lateness' });
          return waitFor(ctx, carried, step.id, carried.recheckAt, log);
        }
        if (ctx.control) {
          log.push({ at: now, step: step.id, action: 'skip', reason: 'holdout' });
          position = node.next;
          continue;
        }
        const quiet = step.type === 'email' || step.type === 'sms' ? ctx.quietHours[step.type] : undefined;
        if (quiet && insideQuietHours(now, quiet, ctx.timezone)) {
          if (quiet.policy === 'skip') {
            log.push({ at: now, step: step.id, action: 'skip', reason: 'quiet_hours' });
            position = node.next;
            continue;
          }
          const until = quietHoursEnd(now, quiet, ctx.timezone);
          log.push({ at: now, step: step.id, action: 'wait', until: new Date(until).toISOString(), reason: 'quiet_hours', timezone: ctx.timezone });
          return waitFor(ctx, carried, step.id, until, log);
        }
        return stop(ctx, { ...carried, kind: 'performing', at: step.id }, log);
      }
      case 'split': {
        const variants = node.variants ?? [];
        const chosen = variants[pickVariant(ctx.ruleId, ctx.userId, step.id, variants.map((v) => v.weight))]!;
        log.push({ at: now, step: step.id, action: 'branch', branch: chosen.name });
        position = chosen.first;
        continue;
      }
      case 'wait':
      case 'waitForEvent': {
        // A waitForEvent without a timeout waits until its event (or an exit event) arrives.
        const timeout = step.type === 'wait' ? step.duration : step.timeout;
        const until = timeout === undefined ? Number.POSITIVE_INFINITY : now + scaled(ctx, parseDuration(timeout));
        log.push({ at: now, step: step.id, action: 'wait', until: Number.isFinite(until) ? new Date(until).toISOString() : null, ...(step.type === 'waitForEvent' ? { for: step.event } : {}) });
        return waitFor(ctx, carried, step.id, until, log);
      }
      case 'waitUntil': {
        const zone = step.timezone ?? ctx.timezone;
        if (step.time === 'best') {
          const best = bestTimeUntil(ctx, step.id, step.fallback, zone, now);
          log.push({ at: now, step: step.id, action: 'wait', until: new Date(best.until).toISOString(), timezone: zone, reason: 'best_time', basis: best.basis, ...(best.quietHours ? { quietHours: best.quietHours } : {}) });
          return waitFor(ctx, carried, step.id, best.until, log);
        }
        const until = nextLocalTime(now, step.time, zone);
        log.push({ at: now, step: step.id, action: 'wait', until: new Date(until).toISOString(), timezone: zone });
        return waitFor(ctx, carried, step.id, until, log);
      }
      case 'branch':
        return stop(ctx, { ...carried, kind: 'evaluating', check: { purpose: 'branch', stepId: step.id } }, log);
      case 'exit':
        return end(ctx, carried, now, log, 'exit_step', step.id);
      default:
        return assertNever(step, 'step type');
    }
  }
}

function finish(reason: ExitReason, stepId: string | null, now: number, details: Record<string, unknown>, log: JourneyAction[] = []): Transition {
  const done: Done = { kind: 'done', reason, stepId };
  log.push({ at: now, step: stepId, action: 'exit', reason, ...details });
  return { state: done, command: { kind: 'finish', reason, stepId }, log };
}

function unchanged(ctx: MachineContext, state: JourneyState): Transition {
  return { state, command: commandFor(ctx, state), log: [] };
}
