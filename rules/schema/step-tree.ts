/**
 * The step tree: which steps are actions, where steps nest, and the one walk over every step. Pure and
 * free of zod (only types from steps.ts), so the workflow bundle can use it.
 */
import { assertNever } from '../../shared/assert-never';
import type { Step } from './steps';

/**
 * What a step does: `action` steps leave the journey (a coupon, a message, a webhook) and are what the
 * activities perform; `flow` steps only move through the journey (waits, branches, exit). A new step
 * type must be placed here, or this does not compile.
 */
export const STEP_ROLE = {
  coupon: 'action', email: 'action', sms: 'action', webhook: 'action',
  wait: 'flow', waitUntil: 'flow', waitForEvent: 'flow', branch: 'flow', split: 'flow', exit: 'flow',
} as const satisfies Record<Step['type'], 'action' | 'flow'>;

type ActionStepType = { [K in keyof typeof STEP_ROLE]: (typeof STEP_ROLE)[K] extends 'action' ? K : never }[keyof typeof STEP_ROLE];
export type ActionStep = Extract<Step, { type: ActionStepType }>;

export function isActionStep(step: Step): step is ActionStep {
  return STEP_ROLE[step.type] === 'action';
}

/** One nested step list of a branching step, with the JSON path from the step to the list. */
export type NestedStepList =
  | { key: 'then' | 'else' | 'onEvent' | 'onTimeout'; steps: Step[]; path: (string | number)[] }
  | { key: 'variant'; steps: Step[]; path: (string | number)[]; variant: { name: string; weight: number } };

/**
 * The one place that knows where steps nest: every walk of the step tree (walkSteps, the journey
 * program, the lints) goes through it, so a step type with a new kind of nesting is handled everywhere.
 */
export function nestedStepLists(step: Step): NestedStepList[] {
  switch (step.type) {
    case 'branch':
      return [{ key: 'then', steps: step.then, path: ['then'] }, { key: 'else', steps: step.else, path: ['else'] }];
    case 'waitForEvent':
      return [{ key: 'onEvent', steps: step.onEvent, path: ['onEvent'] }, { key: 'onTimeout', steps: step.onTimeout, path: ['onTimeout'] }];
    case 'split':
      return step.variants.map((variant, v) => ({ key: 'variant', steps: variant.steps, path: ['variants', v, 'steps'], variant: { name: variant.name, weight: variant.weight } }));
    case 'coupon': case 'email': case 'sms': case 'webhook': case 'wait': case 'waitUntil': case 'exit':
      return [];
    default:
      return assertNever(step, 'step type');
  }
}

/** Visits every step, nested ones included, with its JSON path from the rule's `steps`. */
export function* walkSteps(steps: Step[], path: (string | number)[] = ['steps']): Generator<[Step, (string | number)[]]> {
  for (const [i, step] of steps.entries()) {
    const here = [...path, i];
    yield [step, here];
    for (const nested of nestedStepLists(step)) yield* walkSteps(nested.steps, [...here, ...nested.path]);
  }
}
