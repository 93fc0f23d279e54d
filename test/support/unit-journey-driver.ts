/**
 * A virtual-clock driver for the pure journey step machine, for specifications of the form
 * "these steps + these inputs -> these log actions and this ending". It plays the part the Temporal
 * workflow plays in production: it answers the machine's commands (perform, evaluate, wait) with the
 * inputs it is given, fires a timer exactly at its `until`, and delivers events between steps or
 * during waits. An input that does not fit the command the machine is asking for is an error, so a
 * specification cannot silently drift from what the machine does.
 */
import { parseDuration } from '../../rules/schema/parse-duration';
import type { ExitEvent } from '../../rules/schema/rule';
import type { Goal } from '../../rules/schema/goal';
import type { Step } from '../../rules/schema/steps';
import {
  onEvaluated,
  onEvent,
  onPerformed,
  onTimer,
  startJourney,
  type Command,
  type ExitReason,
  type JourneyAction,
  type JourneyState,
  type MachineContext,
  type PerformResult,
  type Transition,
} from '../../workflows/journey/machine';
import { compileProgram } from '../../rules/schema/step-program';
import { assertNever } from '../../shared/assert-never';

export type DriverInput =
  | { kind: 'perform'; result: PerformResult }
  | { kind: 'evaluate'; holds: boolean }
  | { kind: 'timer' }
  | { kind: 'event'; event: string; afterMs: number; properties: Record<string, unknown>; messageId: string; occurredAt?: string };

/** The pending perform finished. */
export const done = (details: Record<string, string | number> = {}): DriverInput => ({ kind: 'perform', result: { status: 'done', details } });
/** The pending perform was skipped (permanent provider failure, missing address...). */
export const skipped = (reason: string, detail?: string): DriverInput => ({ kind: 'perform', result: { status: 'skipped', reason, ...(detail ? { detail } : {}) } });
/** The pending condition evaluation answers. */
export const holds: DriverInput = { kind: 'evaluate', holds: true };
export const fails: DriverInput = { kind: 'evaluate', holds: false };
/** The clock reaches the pending wait's `until`. */
export const timer: DriverInput = { kind: 'timer' };
/** An event arrives `after` ("10m", or ms) later than the current virtual time. */
export const event = (name: string, after: string | number = 0, properties: Record<string, unknown> = {}, messageId = `${name}-msg`): DriverInput => ({
  kind: 'event',
  event: name,
  afterMs: typeof after === 'number' ? after : parseDuration(after),
  properties,
  messageId,
});

export interface JourneySetup {
  steps: Step[];
  exitOn?: ExitEvent[];
  goal?: Goal;
  /** The entry's time (ms): goal events that happened before it are no conversions (machineContextFor sets the trigger's). */
  goalFrom?: number;
  /** Default 1 (real time). */
  waitScale?: number;
  /** The journey's time zone (user trait, else the rule's). Default UTC. */
  timezone?: string;
  /** Virtual time the journey starts at (ISO). */
  start: string;
  quietHours?: MachineContext['quietHours'];
  control?: boolean;
  onNoConsent?: MachineContext['onNoConsent'];
  ruleId?: string;
  userId?: string;
  /** Allowed lateness: the trigger re-check (trigger-recheck.ts). */
  recheck?: MachineContext['recheck'];
}

export interface JourneyRun {
  log: JourneyAction[];
  /** Every command the machine asked for, in order, as one line each (see describeCommand). */
  asked: string[];
  /** The finish reason, or 'running' if the inputs ran out first. */
  reason: ExitReason | 'running';
  state: JourneyState;
  /** The coupon code the last perform command carried to its step (null: none asked, or none issued yet). */
  coupon: string | null;
  command: Command;
  now: number;
}

export const iso = (ms: number) => new Date(ms).toISOString();

export function describeCommand(command: Command): string {
  switch (command.kind) {
    case 'perform':
      return `perform ${command.step.id}`;
    case 'evaluate':
      if (command.asOf) return `evaluate trigger as of ${iso(command.asOf.at)}`;
      return `evaluate ${command.stepId ?? 'exitOn'}${command.event ? ` on ${command.event.event}` : ''}`;
    case 'wait':
      return `wait ${command.stepId ?? 'goal'} until ${iso(command.until)}`;
    case 'finish':
      return `finish ${command.reason}`;
    default:
      return assertNever(command, 'journey command');
  }
}

export function contextFor(setup: Omit<JourneySetup, 'start'>): MachineContext {
  return {
    program: compileProgram(setup.steps),
    exitOn: setup.exitOn ?? [],
    waitScale: setup.waitScale ?? 1,
    timezone: setup.timezone ?? 'UTC',
    quietHours: setup.quietHours ?? {},
    control: setup.control ?? false,
    onNoConsent: setup.onNoConsent ?? 'continue',
    ruleId: setup.ruleId ?? 'rule',
    userId: setup.userId ?? 'user',
    ...(setup.recheck ? { recheck: setup.recheck } : {}),
    ...(setup.goal ? { goal: setup.goal } : {}),
    ...(setup.goalFrom !== undefined ? { goalFrom: setup.goalFrom } : {}),
  };
}

export function runJourney(setup: JourneySetup, inputs: DriverInput[]): JourneyRun {
  const ctx = contextFor(setup);
  let now = Date.parse(setup.start);
  const log: JourneyAction[] = [];
  const asked: string[] = [];
  let coupon: string | null = null;
  const record = (t: Transition) => {
    log.push(...t.log);
    asked.push(describeCommand(t.command));
    if (t.command.kind === 'perform') coupon = t.command.coupon;
    return t;
  };
  let t = record(startJourney(ctx, now));
  for (const [i, input] of inputs.entries()) {
    const command = t.command;
    const misfit = () => new Error(`input ${i} (${input.kind}) does not fit the command "${describeCommand(command)}"`);
    switch (input.kind) {
      case 'perform':
        if (command.kind !== 'perform') throw misfit();
        t = record(onPerformed(ctx, t.state, input.result, now));
        break;
      case 'evaluate':
        if (command.kind !== 'evaluate') throw misfit();
        t = record(onEvaluated(ctx, t.state, input.holds, now));
        break;
      case 'timer':
        if (command.kind !== 'wait') throw misfit();
        now = command.until;
        t = record(onTimer(ctx, t.state, now));
        break;
      case 'event': {
        if (command.kind !== 'perform' && command.kind !== 'wait') throw misfit();
        if (command.kind === 'wait' && now + input.afterMs >= command.until) {
          throw new Error(`input ${i}: the event would arrive at ${iso(now + input.afterMs)}, not before the timer at ${iso(command.until)}`);
        }
        now += input.afterMs;
        const arrived = { messageId: input.messageId, event: input.event, timestamp: input.occurredAt ?? iso(now), properties: input.properties };
        t = record(onEvent(ctx, t.state, arrived, now));
        break;
      }
      default:
        assertNever(input, 'driver input');
    }
  }
  return { log, asked, reason: t.command.kind === 'finish' ? t.command.reason : 'running', state: t.state, coupon, command: t.command, now };
}
