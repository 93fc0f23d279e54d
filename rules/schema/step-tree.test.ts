/** The step tree: every nesting kind is walked with its JSON path, and every step type has a role. */
import { describe, expect, it } from 'vitest';
import { isActionStep, nestedStepLists, walkSteps } from './step-tree';
import type { Step } from './steps';

const always = { all: [] };
const steps: Step[] = [
  { id: 'b', type: 'branch', conditions: always, then: [{ id: 't', type: 'exit' }], else: [{ id: 'e', type: 'wait', duration: '1h' }] },
  { id: 'w', type: 'waitForEvent', event: 'x', onEvent: [{ id: 'on', type: 'exit' }], onTimeout: [{ id: 'off', type: 'exit' }] },
  { id: 's', type: 'split', variants: [{ name: 'a', weight: 1, steps: [{ id: 'va', type: 'coupon' }] }, { name: 'b', weight: 1, steps: [] }] },
];

describe('walkSteps', () => {
  it('visits every step, nested ones included, with its JSON path', () => {
    expect([...walkSteps(steps)].map(([step, path]) => `${step.id}@${path.join('.')}`)).toEqual([
      'b@steps.0', 't@steps.0.then.0', 'e@steps.0.else.0',
      'w@steps.1', 'on@steps.1.onEvent.0', 'off@steps.1.onTimeout.0',
      's@steps.2', 'va@steps.2.variants.0.steps.0',
    ]);
  });
});

describe('nestedStepLists', () => {
  it('names each list of a branching step, split variants with their name and weight', () => {
    expect(nestedStepLists(steps[2]!).map((list) => [list.key, list.path.join('.'), list.key === 'variant' ? list.variant.name : null])).toEqual([
      ['variant', 'variants.0.steps', 'a'],
      ['variant', 'variants.1.steps', 'b'],
    ]);
    expect(nestedStepLists({ id: 'x', type: 'email', subject: 's', text: 't' })).toEqual([]);
  });

  it('names what it does not know instead of returning nothing', () => {
    expect(() => nestedStepLists({ id: 'x', type: 'teleport' } as unknown as Step)).toThrow(/unhandled step type: .*teleport/);
  });
});

describe('isActionStep', () => {
  it('is true for the steps that leave the journey, false for flow steps', () => {
    expect([...walkSteps(steps)].filter(([step]) => isActionStep(step)).map(([step]) => step.id)).toEqual(['va']);
    expect(isActionStep({ id: 'm', type: 'sms', body: 'hi' })).toBe(true);
  });
});
