/**
 * Condition evaluation: the four facts (count, secondsSinceLast, event path, traits path), the
 * all / any / not combinators, and the per-leaf report (actual value, pass/fail) that explains a decision.
 */
import { describe, expect, it } from 'vitest';
import type { ConditionLeaf, TopLevelCondition } from '../../rules/schema/conditions';
import { NUMERIC_OPERATORS } from '../../rules/schema/conditions';
import { countOf, eventAt, ruleOf, sinceLast, traitAt } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { applyEvent, emptyState, type UserState } from '../state/behavior-state';
import { buildCounterPlan } from '../state/counter-plan';
import { ConditionEvaluator, evaluateConditions } from './evaluate-conditions';
import type { EvaluationContext } from './facts';

const T0 = Date.parse('2025-05-01T12:00:00.000Z');
const DAY = 86_400_000;

const track = (event: string, at: number, properties: Record<string, unknown> = {}) =>
  ({ type: 'track', event, userId: 'u1', messageId: `${event}-${at}`, timestamp: new Date(at).toISOString(), properties, context: {} }) as EventEnvelope & { type: 'track' };

/**
 * The context the engine builds for a trigger: the user's history (the evaluated event last), traits,
 * windows ending at the user's clock, secondsSinceLast looking before the evaluated event.
 */
function triggerContext(conditions: TopLevelCondition, history: EventEnvelope[], traits: Record<string, unknown> = {}): EvaluationContext {
  const plan = buildCounterPlan([ruleOf({ trigger: { event: 'any', conditions } })]);
  const state: UserState = history.reduce((s, e, i) => applyEvent(s, e, i + 1, plan), { ...emptyState('u1'), traits });
  const evaluated = history.at(-1)!;
  return { event: evaluated as unknown as Record<string, unknown>, traits: state.traits, state, now: state.clock, before: Date.parse(evaluated.timestamp) };
}

const pricing = (at: number) => track('page_viewed', at, { page: 'pricing' });

describe('leaves: each fact, the value it reads and whether it passes', () => {
  it.each<[string, ConditionLeaf, EventEnvelope[], Record<string, unknown>, unknown, boolean]>([
    ['count inside the window', countOf('page_viewed', '7d', 'greaterThanInclusive', 3, { page: 'pricing' }), [pricing(T0 - 6 * DAY), pricing(T0 - DAY), pricing(T0)], {}, 3, true],
    ['count with one view outside the window', countOf('page_viewed', '7d', 'greaterThanInclusive', 3, { page: 'pricing' }), [pricing(T0 - 7 * DAY), pricing(T0 - DAY), pricing(T0)], {}, 2, false],
    ['count ignores events not matching `where`', countOf('page_viewed', '7d', 'equal', 1, { page: 'pricing' }), [track('page_viewed', T0 - 1, { page: 'docs' }), pricing(T0)], {}, 1, true],
    ['count of an event never sent', countOf('order_completed', '7d', 'equal', 0), [pricing(T0)], {}, 0, true],
    ['secondsSinceLast the previous occurrence', sinceLast('page_viewed', 'lessThan', 120), [pricing(T0 - 90_000), pricing(T0)], {}, 90, true],
    ['secondsSinceLast too long ago', sinceLast('page_viewed', 'lessThan', 60), [pricing(T0 - 90_000), pricing(T0)], {}, 90, false],
    ['secondsSinceLast with no previous occurrence', sinceLast('page_viewed', 'greaterThan', 0), [pricing(T0)], {}, null, false],
    ['event path', eventAt('$.properties.page', 'equal', 'pricing'), [pricing(T0)], {}, 'pricing', true],
    ['event path, other value', eventAt('$.properties.page', 'equal', 'docs'), [pricing(T0)], {}, 'pricing', false],
    ['event path with "in"', eventAt('$.event', 'in', ['page_viewed', 'screen_viewed']), [pricing(T0)], {}, 'page_viewed', true],
    ['traits path', traitAt('$.plan', 'in', ['team', 'business']), [pricing(T0)], { plan: 'team' }, 'team', true],
    ['traits path, missing trait', traitAt('$.plan', 'equal', 'team'), [pricing(T0)], {}, undefined, false],
    ['traits path with "contains"', traitAt('$.tags', 'contains', 'beta'), [pricing(T0)], { tags: ['beta', 'vip'] }, ['beta', 'vip'], true],
  ])('%s', async (_name, leaf, history, traits, actual, passed) => {
    const outcome = await evaluateConditions({ all: [leaf] }, triggerContext({ all: [leaf] }, history, traits));
    expect(outcome.passed).toBe(passed);
    expect(outcome.leaves).toHaveLength(1);
    expect(outcome.leaves[0]).toMatchObject({ fact: leaf.fact, operator: leaf.operator, value: leaf.value, passed });
    expect(outcome.leaves[0]!.actual).toEqual(actual);
  });

  it('a leaf reports its path or params as written', async () => {
    const conditions: TopLevelCondition = { all: [eventAt('$.properties.page', 'equal', 'pricing'), countOf('page_viewed', '7d', 'greaterThan', 0, { page: 'pricing' })] };
    const { leaves } = await evaluateConditions(conditions, triggerContext(conditions, [pricing(T0)]));
    expect(leaves).toEqual([
      { fact: 'event', path: '$.properties.page', operator: 'equal', value: 'pricing', actual: 'pricing', passed: true },
      { fact: 'count', params: { event: 'page_viewed', where: { page: 'pricing' }, within: '7d' }, operator: 'greaterThan', value: 0, actual: 1, passed: true },
    ]);
  });
});

describe('secondsSinceLast for a user who never sent the event: no value, so every comparison is false', () => {
  it.each(NUMERIC_OPERATORS)('%s', async (operator) => {
    const conditions: TopLevelCondition = { all: [sinceLast('order_completed', operator, 5)] };
    const outcome = await evaluateConditions(conditions, triggerContext(conditions, [pricing(T0)]));
    expect(outcome.leaves[0]!.actual).toBeNull();
    expect(outcome.passed).toBe(false);
  });
});

describe('combinators', () => {
  const yes = traitAt('$.plan', 'equal', 'team');
  const no = traitAt('$.plan', 'equal', 'free');
  it.each<[string, boolean, TopLevelCondition]>([
    ['all of true, true', true, { all: [yes, yes] }],
    ['all of true, false', false, { all: [yes, no] }],
    ['any of false, true', true, { any: [no, yes] }],
    ['any of false, false', false, { any: [no, no] }],
    ['not true', false, { not: yes }],
    ['not false', true, { not: no }],
    ['all of (any of false, not false)', true, { all: [{ any: [no, { not: no }] }] }],
    ['not (all of true, false)', true, { not: { all: [yes, no] } }],
  ])('%s is %s', async (_name, passed, conditions) => {
    expect((await evaluateConditions(conditions, triggerContext(conditions, [pricing(T0)], { plan: 'team' }))).passed).toBe(passed);
  });

  it('a leaf under `not` reports its own result, not the negated one', async () => {
    const conditions: TopLevelCondition = { not: yes };
    const { passed, leaves } = await evaluateConditions(conditions, triggerContext(conditions, [pricing(T0)], { plan: 'team' }));
    expect(passed).toBe(false);
    expect(leaves).toEqual([expect.objectContaining({ fact: 'traits', actual: 'team', passed: true })]);
  });
});

describe('ConditionEvaluator', () => {
  it('without conditions every event matches, with no leaves to report', async () => {
    expect(await new ConditionEvaluator(undefined).evaluate(triggerContext({ all: [traitAt('$.x', 'equal', 1)] }, [pricing(T0)]))).toEqual({ passed: true, leaves: [] });
  });

  it('is reusable: the same evaluator gives each context its own answer', async () => {
    const conditions: TopLevelCondition = { all: [countOf('page_viewed', '7d', 'greaterThanInclusive', 2)] };
    const evaluator = new ConditionEvaluator(conditions, 'rule');
    expect((await evaluator.evaluate(triggerContext(conditions, [pricing(T0)]))).passed).toBe(false);
    expect((await evaluator.evaluate(triggerContext(conditions, [pricing(T0 - 1), pricing(T0)]))).passed).toBe(true);
    expect((await evaluator.evaluate(triggerContext(conditions, [pricing(T0)]))).passed).toBe(false);
  });

  it('a branch evaluated without an event reads traits and counters; event leaves fail', async () => {
    const conditions: TopLevelCondition = { any: [eventAt('$.event', 'equal', 'page_viewed'), traitAt('$.plan', 'equal', 'team')] };
    const ctx = { ...triggerContext(conditions, [pricing(T0)], { plan: 'team' }), event: null };
    const { passed, leaves } = await evaluateConditions(conditions, ctx);
    expect(passed).toBe(true);
    expect(leaves.map((l) => [l.fact, l.passed])).toEqual([['event', false], ['traits', true]]);
  });

  it('in a journey, windows end at the evaluation time: events age out while the journey waits', async () => {
    const conditions: TopLevelCondition = { all: [countOf('page_viewed', '1d', 'greaterThanInclusive', 1)] };
    const ctx = triggerContext(conditions, [pricing(T0)]);
    expect((await evaluateConditions(conditions, { ...ctx, now: T0 + DAY - 1 })).passed).toBe(true);
    expect((await evaluateConditions(conditions, { ...ctx, now: T0 + DAY })).passed).toBe(false);
  });
});
