/**
 * Compiled conditions: the corners of json-rules-engine's semantics they keep (paths into strings and
 * arrays, the numeric validator, `in` over a string, nudge's notEqual, fact references as values), the
 * tags fact computed once per evaluation, what a synchronous evaluation needs of the tag source, and the
 * trees refused when rules load. The differential test checks the same against json-rules-engine at random.
 */
import { describe, expect, it } from 'vitest';
import type { TopLevelCondition } from '../../rules/schema/conditions';
import { countOf, eventAt, tagIs, traitAt } from '../../test/support/unit-rules';
import { emptyState } from '../state/behavior-state';
import { compileConditions } from './compile-conditions';
import { ConditionCompileError } from './condition-compile-error';
import { ConditionEvaluator } from './evaluate-conditions';
import type { EvaluationContext, TagSource } from './facts';
import { ReferenceConditionEvaluator } from './reference-evaluator';
import { SyncTagsUnavailableError } from './sync-tags-unavailable-error';

const T0 = Date.parse('2026-01-10T12:00:00.000Z');
const ctxOf = (properties: unknown, traits: Record<string, unknown> = {}, tags?: TagSource): EvaluationContext => ({
  event: { type: 'track', event: 'page_viewed', properties },
  traits,
  state: { ...emptyState('u1'), traits, clock: T0 },
  now: T0,
  before: T0,
  ...(tags ? { tags } : {}),
});

/** The compiled answer for one leaf, checked against json-rules-engine's. */
async function leafOutcome(tree: TopLevelCondition, ctx: EvaluationContext) {
  const compiled = compileConditions(tree).explain(ctx);
  expect(compiled).toEqual(await new ReferenceConditionEvaluator(tree).evaluate(ctx));
  const [leaf] = compiled.leaves;
  return { actual: leaf!.actual, passed: leaf!.passed };
}

describe('paths, as jsonpath-plus reads them', () => {
  const properties = { page: 'pricing', items: ['a', 'b'], n: 5, nested: { a: null }, '0': 'zero' };
  it.each<[string, unknown]>([
    ['$.properties.page', 'pricing'],
    ['$.properties.page[0]', 'p'], // a string has own indexes
    ['$.properties.page.length', 7],
    ['$.properties.items', ['a', 'b']], // an array is returned as it is, not unwrapped
    ['$.properties.items[1]', 'b'],
    ['$.properties.items[01]', undefined], // indexes stay strings: "01" is no index
    ['$.properties.items.length', 2],
    ['$.properties.n.toFixed', undefined], // a number has no own properties
    ['$.properties.nested.a', null],
    ['$.properties.nested.a.b', undefined], // nothing below null
    ['$.properties.constructor', undefined], // only own properties
    ['$.properties[0]', 'zero'], // "[0]" names the key "0" of an object too
    ['$.missing.deeper', undefined],
  ])('%s is %j', async (path, actual) => {
    expect((await leafOutcome({ all: [eventAt(path, 'notEqual', '§')] }, ctxOf(properties))).actual).toEqual(actual);
  });

  it('"$" is the fact itself; a fact that is not an object is returned whatever the path', async () => {
    expect((await leafOutcome({ all: [traitAt('$', 'equal', 1)] }, ctxOf({}, { plan: 'team' }))).actual).toEqual({ plan: 'team' });
    expect((await leafOutcome({ all: [eventAt('$.properties.page', 'equal', 1)] }, { ...ctxOf({}), event: null })).actual).toBeUndefined();
  });
});

describe('operators, as json-rules-engine 7.3.1 defines them', () => {
  it.each<[string, unknown, string, unknown, boolean]>([
    ['a string parseFloat reads passes the validator, then compares as JavaScript does', '12abc', 'greaterThan', 10, false],
    ['so " 3" is greater than 2', ' 3', 'greaterThan', 2, true],
    ['so does a one-number array', [5], 'greaterThan', 4, true],
    ['"Infinity" is a number', 'Infinity', 'greaterThan', 1e300, true],
    ['null is no number', null, 'lessThan', 1, false],
    ['nor is true', true, 'greaterThanInclusive', 1, false],
    ['nor is ""', '', 'lessThanInclusive', 1, false],
    ['in over a string looks for a substring', 'ici', 'in', 'pricing', true],
    ['in over an array compares with ===', '1', 'in', [1, 2], false],
    ['notIn over an array', 3, 'notIn', [1, 2], true],
    ['contains needs an array fact', 'pricing', 'contains', 'p', false],
    ['doesNotContain too', 'pricing', 'doesNotContain', 'x', false],
    ['doesNotContain on an array', ['a'], 'doesNotContain', 'x', true],
    ['equal is ===', '1', 'equal', 1, false],
    ['notEqual fails on a missing value (nudge)', undefined, 'notEqual', 5, false],
    ['notEqual fails on null (nudge)', null, 'notEqual', 5, false],
    ['notEqual passes on another value', 4, 'notEqual', 5, true],
  ])('%s', async (_name, actual, operator, value, passed) => {
    expect((await leafOutcome({ all: [traitAt('$.x', operator, value)] }, ctxOf({}, actual === undefined ? {} : { x: actual }))).passed).toBe(passed);
  });

  it('a value {"fact": …} is read as a fact, as json-rules-engine does', async () => {
    const tree: TopLevelCondition = { all: [eventAt('$.properties.plan', 'equal', { fact: 'traits', path: '$.plan' })] };
    expect(await leafOutcome(tree, ctxOf({ plan: 'team' }, { plan: 'team' }))).toEqual({ actual: 'team', passed: true });
    expect(await leafOutcome(tree, ctxOf({ plan: 'team' }, { plan: 'free' }))).toEqual({ actual: 'team', passed: false });
  });

  it('a comparison that throws in json-rules-engine throws from explain; matches stops before it when the answer is known', async () => {
    const tree: TopLevelCondition = { any: [traitAt('$.plan', 'equal', 'team'), traitAt('$.plan', 'in', 5)] };
    const ctx = ctxOf({}, { plan: 'team' });
    await expect(new ReferenceConditionEvaluator(tree).evaluate(ctx)).rejects.toThrow(TypeError);
    expect(() => compileConditions(tree).explain(ctx)).toThrow(TypeError);
    expect(compileConditions(tree).matches(ctx)).toBe(true);
  });
});

describe('where the compiled evaluator deliberately differs', () => {
  it('it reads a filter key named like an Object.prototype member, which json-rules-engine\'s copy of the tree drops', async () => {
    const tree: TopLevelCondition = { all: [countOf('page_viewed', '1d', 'greaterThan', 0, { constructor: 'x' })] };
    const ctx = ctxOf({});
    ctx.state = { ...ctx.state, counters: { 'page_viewed|[["constructor","x"]]': [T0], page_viewed: [T0, T0 - 1] } };
    expect(compileConditions(tree).explain(ctx).leaves[0]!.actual).toBe(1); // the counter the plan keeps for the filter
    expect((await new ReferenceConditionEvaluator(tree).evaluate(ctx)).leaves[0]!.actual).toBe(2); // the unfiltered one
  });
});

describe('the tags fact', () => {
  const counting = () => {
    const calls: (readonly string[] | undefined)[] = [];
    const source: TagSource = {
      compute: async () => ({ visits: 3, stage: 'pricing' }),
      valuesAt: (_state, _now, only) => (calls.push(only), { visits: 3, stage: 'pricing' }),
    };
    return { calls, source };
  };
  const tree: TopLevelCondition = { all: [tagIs('visits', 'greaterThan', 1), { any: [tagIs('stage', 'equal', 'pricing'), tagIs('visits', 'lessThan', 10)] }] };

  it('is computed at most once per evaluation, for the tags the tree reads', () => {
    const { calls, source } = counting();
    const compiled = compileConditions(tree);
    expect(compiled.explain(ctxOf({}, {}, source)).passed).toBe(true);
    expect(compiled.matches(ctxOf({}, {}, source))).toBe(true);
    expect(calls).toEqual([['visits', 'stage'], ['visits', 'stage']]);
  });

  it('is not computed for a tree that reads no tags', () => {
    const { calls, source } = counting();
    compileConditions({ all: [traitAt('$.plan', 'equal', 'team')] }).explain(ctxOf({}, {}, source));
    expect(calls).toEqual([]);
  });

  it('needs a synchronous source to be evaluated synchronously; the async evaluate takes either', async () => {
    const asyncOnly: TagSource = { compute: async () => ({ visits: 3, stage: 'pricing' }) };
    expect(() => compileConditions(tree).matches(ctxOf({}, {}, asyncOnly))).toThrow(SyncTagsUnavailableError);
    expect((await new ConditionEvaluator(tree).evaluate(ctxOf({}, {}, asyncOnly))).passed).toBe(true);
  });
});

describe('trees refused when rules load', () => {
  it.each<[string, unknown, (string | number)[]]>([
    ['a leaf at the root', traitAt('$.plan', 'equal', 'team'), []],
    ['"not" over an array', { not: [traitAt('$.plan', 'equal', 'team')] }, ['not']],
    ['"all" over an object', { all: {} }, ['all']],
    ['a leaf without a value', { all: [{ fact: 'traits', path: '$.plan', operator: 'equal' }] }, ['all', 0]],
    ['an unknown operator', { all: [{ fact: 'traits', path: '$.plan', operator: 'startsWith', value: 'a' }] }, ['all', 0, 'operator']],
    ['a fact reference with a JSONPath beyond property paths', { all: [traitAt('$.plan', 'equal', { fact: 'traits', path: '$..plan' })] }, ['all', 0, 'value', 'path']],
    ['a count without a window', { all: [{ fact: 'count', params: { event: 'x' }, operator: 'equal', value: 1 }] }, ['all', 0, 'params', 'within']],
  ])('%s', (_name, tree, at) => {
    const compile = () => compileConditions(tree as TopLevelCondition);
    expect(compile).toThrow(ConditionCompileError);
    try {
      compile();
    } catch (error) {
      expect((error as ConditionCompileError).at).toEqual(at);
    }
  });

  it('no tree always holds, with nothing to report', () => {
    expect(compileConditions(undefined).matches(ctxOf({}))).toBe(true);
    expect(compileConditions(undefined).explain(ctxOf({}))).toEqual({ passed: true, leaves: [] });
  });
});
