/**
 * The command each journey state asks its driver for (perform, evaluate, wait, finish) and the events
 * a running journey listens for. Pure; split from machine.ts, which decides the transitions.
 */
import type { ExitEvent } from '../../rules/schema/rule';
import type { Goal } from '../../rules/schema/goal';
import type { Step } from '../../rules/schema/steps';
import { isActionStep, type ActionStep } from '../../rules/schema/step-tree';
import { nodeAt, type Program } from '../../rules/schema/step-program';
import { assertNever } from '../../shared/assert-never';
import { recheckCommand, type TriggerRecheckContext } from './trigger-recheck';
import type { Check, JourneyState } from './journey-state';
import type { Command } from './journey-io';

/** What the commands depend on (a part of MachineContext). */
export interface CommandContext {
  program: Program;
  exitOn: ExitEvent[];
  goal?: Goal;
  recheck?: TriggerRecheckContext;
}

/** The command a state asks for. */
export function commandFor(ctx: CommandContext, state: JourneyState): Command {
  switch (state.kind) {
    case 'done':
      return { kind: 'finish', reason: state.reason, stepId: state.stepId };
    case 'evaluating':
      return evaluateCommand(ctx, state.check);
    case 'waiting':
      return { kind: 'wait', stepId: state.at, until: state.until, listen: listenedEvents(ctx, nodeAt(ctx.program, state.at).step) };
    case 'watching':
      return { kind: 'wait', stepId: null, until: state.until, listen: ctx.goal ? [ctx.goal.event] : [] };
    case 'performing':
      return { kind: 'perform', step: actionStepAt(ctx, state.at), coupon: state.coupon };
    default:
      return assertNever(state, 'journey state');
  }
}

/** Every event name a running journey may need to hear about (exit events, wait-for events, the goal). */
export function listenedEvents(ctx: Pick<CommandContext, 'exitOn' | 'goal'>, waitingStep?: Step): string[] {
  const names = new Set(ctx.exitOn.map((exit) => exit.event));
  if (waitingStep?.type === 'waitForEvent') names.add(waitingStep.event);
  if (ctx.goal) names.add(ctx.goal.event);
  return [...names];
}

export function actionStepAt(ctx: Pick<CommandContext, 'program'>, stepId: string): ActionStep {
  const step = nodeAt(ctx.program, stepId).step;
  if (!isActionStep(step)) throw new Error(`step "${stepId}" is a ${step.type} step, not an action the journey performs`);
  return step;
}

function evaluateCommand(ctx: CommandContext, check: Check): Command {
  switch (check.purpose) {
    case 'branch': {
      const step = nodeAt(ctx.program, check.stepId).step;
      if (step.type !== 'branch') throw new Error(`step "${check.stepId}" is not a branch`);
      return { kind: 'evaluate', stepId: step.id, conditions: step.conditions, event: null };
    }
    case 'exit':
      return { kind: 'evaluate', stepId: null, conditions: ctx.exitOn[check.exitIndex]!.conditions!, event: check.event };
    case 'waitFor': {
      const step = nodeAt(ctx.program, check.resume.at).step;
      if (step.type !== 'waitForEvent' || !step.conditions) throw new Error(`step "${check.resume.at}" has no event conditions`);
      return { kind: 'evaluate', stepId: step.id, conditions: step.conditions, event: check.event };
    }
    case 'goal':
      if (!ctx.goal?.conditions) throw new Error('a goal check without goal conditions');
      return { kind: 'evaluate', stepId: null, conditions: ctx.goal.conditions, event: check.event };
    case 'trigger':
      return recheckCommand(ctx.recheck);
    default:
      return assertNever(check, 'condition check');
  }
}
