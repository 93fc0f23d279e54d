/**
 * Compiling nested step lists into a flat program: every step knows what runs after it, and a nested
 * list that ends (or is empty) continues with the step after its enclosing step.
 */
import { describe, expect, it } from 'vitest';
import { branch, email, exit, sms, traitAt, wait, waitForEvent, webhook } from '../../test/support/unit-rules';
import { compileProgram, nodeAt } from './step-program';

const PAID = { all: [traitAt('$.plan', 'equal', 'team')] };

/** The program as "id -> next" (plus nested entry points), easy to read in an expectation. */
const shapeOf = (steps: Parameters<typeof compileProgram>[0]) => {
  const program = compileProgram(steps);
  return {
    first: program.first,
    nodes: Object.fromEntries(Object.entries(program.nodes).map(([id, { step: _step, ...links }]) => [id, links])),
  };
};

describe('compileProgram', () => {
  it('compiles a steps list once: journeys of one rule share its program', () => {
    const steps = [email('a'), wait('b', '1d')];
    expect(compileProgram(steps)).toBe(compileProgram(steps));
    expect(compileProgram([...steps])).not.toBe(compileProgram(steps));
  });

  it('a flat list runs in order and ends after the last step', () => {
    expect(shapeOf([email('a'), wait('b', '1d'), sms('c')])).toEqual({
      first: 'a',
      nodes: { a: { next: 'b' }, b: { next: 'c' }, c: { next: null } },
    });
  });

  it('a branch enters its lists, and both lists continue after the branch', () => {
    expect(shapeOf([branch('b', PAID, [sms('t1'), sms('t2')], [email('e1')]), webhook('after')])).toEqual({
      first: 'b',
      nodes: {
        b: { next: 'after', then: 't1', else: 'e1' },
        t1: { next: 't2' },
        t2: { next: 'after' },
        e1: { next: 'after' },
        after: { next: null },
      },
    });
  });

  it('empty lists resolve to the step after the enclosing step (or the end)', () => {
    expect(shapeOf([waitForEvent('w', 'x', '1h', [], [sms('late')]), branch('b', PAID, [], [])])).toEqual({
      first: 'w',
      nodes: {
        w: { next: 'b', onEvent: 'b', onTimeout: 'late' },
        late: { next: 'b' },
        b: { next: null, then: null, else: null },
      },
    });
  });

  it('nesting continues level by level', () => {
    const program = compileProgram([
      branch('outer', PAID, [waitForEvent('inner', 'x', '1h', [exit('stop')], [sms('deep')]), email('inner-last')], []),
      webhook('top-last'),
    ]);
    expect(nodeAt(program, 'deep').next).toBe('inner-last');
    expect(nodeAt(program, 'stop').next).toBe('inner-last');
    expect(nodeAt(program, 'inner-last').next).toBe('top-last');
    expect(nodeAt(program, 'outer').else).toBe('top-last');
  });

  it('each node carries its step', () => {
    const step = sms('a', 'hello');
    expect(nodeAt(compileProgram([step]), 'a').step).toBe(step);
  });

  it('a step id used twice is refused', () => {
    expect(() => compileProgram([email('a'), branch('b', PAID, [sms('a')], [])])).toThrow('step id "a" is used twice');
    const twice = [email('x'), branch('y', PAID, [sms('x')], [])];
    expect(() => compileProgram(twice)).toThrow('is used twice');
    expect(() => compileProgram(twice)).toThrow('is used twice'); // a failed compile is not remembered
  });

  it('asking for an unknown step is an error', () => {
    expect(() => nodeAt(compileProgram([email('a')]), 'z')).toThrow('journey program has no step "z"');
  });
});
