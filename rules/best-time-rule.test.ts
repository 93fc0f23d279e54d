/** waitUntil "best" in a rule file: the schema takes it, the semantic checks demand its fallback and refuse a stray one. */
import { describe, expect, it } from 'vitest';
import { email, ruleOf } from '../test/support/unit-rules';
import { semanticProblems } from './semantic-checks';

const withStep = (step: Record<string, unknown>) => ruleOf({ steps: [step as never, email('hello')] });

describe('waitUntil "best" in rule files', () => {
  it('with a fallback: valid', () => {
    expect(semanticProblems(withStep({ id: 'best', type: 'waitUntil', time: 'best', fallback: '10:00' }))).toEqual([]);
  });

  it('without a fallback: an error at the step, naming what is missing', () => {
    expect(semanticProblems(withStep({ id: 'best', type: 'waitUntil', time: 'best' }))).toEqual([
      { path: ['steps', 0, 'fallback'], message: expect.stringContaining('time "best" needs a fallback') },
    ]);
  });

  it('a fallback on a fixed time: an error', () => {
    expect(semanticProblems(withStep({ id: 'nine', type: 'waitUntil', time: '09:00', fallback: '10:00' }))).toEqual([
      { path: ['steps', 0, 'fallback'], message: expect.stringContaining('only to time "best"') },
    ]);
  });

  it('the schema refuses any other word and a malformed fallback', () => {
    expect(() => withStep({ id: 'w', type: 'waitUntil', time: 'soon', fallback: '10:00' })).toThrow();
    expect(() => withStep({ id: 'w', type: 'waitUntil', time: 'best', fallback: '25:00' })).toThrow();
  });
});
