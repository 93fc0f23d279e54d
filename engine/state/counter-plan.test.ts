/**
 * The counter plan: which counters the engine keeps and how much each may hold, derived from every
 * condition tree of every rule.
 */
import { describe, expect, it } from 'vitest';
import { branch, countOf, email, ruleOf, sinceLast, tagOf, waitForEvent } from '../../test/support/unit-rules';
import { buildCounterPlan, conditionTreesOf, counterKey, matchesFilter } from './counter-plan';

const DAY = 86_400_000;

describe('counterKey', () => {
  it('is the event name when there is no filter', () => {
    expect(counterKey('page_viewed')).toBe('page_viewed');
    expect(counterKey('page_viewed', {})).toBe('page_viewed');
  });

  it('does not depend on the order of filter properties', () => {
    expect(counterKey('e', { a: 1, b: 'x' })).toBe(counterKey('e', { b: 'x', a: 1 }));
    expect(counterKey('e', { a: 1 })).not.toBe(counterKey('e', { a: '1' }));
    expect(counterKey('e', { a: 1 })).not.toBe(counterKey('e'));
  });
});

describe('matchesFilter', () => {
  it.each([
    [{ page: 'pricing', ref: 'ad' }, { page: 'pricing' }, true],
    [{ page: 'pricing' }, {}, true],
    [{ page: 'docs' }, { page: 'pricing' }, false],
    [{}, { page: 'pricing' }, false],
    [{ n: '1' }, { n: 1 }, false],
    [{ vip: true, n: 1 }, { vip: true, n: 1 }, true],
  ])('%j against %j: %s', (properties, where, expected) => {
    expect(matchesFilter(properties, where)).toBe(expected);
  });
});

describe('buildCounterPlan', () => {
  it('records the longest window and the largest count (+1) any rule asks about', () => {
    const plan = buildCounterPlan([
      ruleOf({ id: 'a', trigger: { event: 'x', conditions: { all: [countOf('page_viewed', '7d', 'greaterThanInclusive', 3)] } } }),
      ruleOf({ id: 'b', trigger: { event: 'x', conditions: { any: [countOf('page_viewed', '30d', 'equal', 1)] } } }),
      ruleOf({ id: 'c', trigger: { event: 'x', conditions: { not: countOf('page_viewed', '1d', 'lessThan', 5) } } }),
    ]);
    expect(plan.byKey.get('page_viewed')).toEqual({ key: 'page_viewed', event: 'page_viewed', where: {}, windowMs: 30 * DAY, maxCount: 6, keepLatest: 0 });
  });

  it('secondsSinceLast keeps the two newest timestamps', () => {
    const plan = buildCounterPlan([ruleOf({ trigger: { event: 'x', conditions: { all: [sinceLast('login', 'greaterThan', 3600, { device: 'ios' })] } } })]);
    expect(plan.byKey.get(counterKey('login', { device: 'ios' }))).toEqual({
      key: counterKey('login', { device: 'ios' }),
      event: 'login',
      where: { device: 'ios' },
      windowMs: 0,
      maxCount: 0,
      keepLatest: 2,
    });
  });

  it('finds counters in exit conditions, branches and wait-for conditions, nested or not', () => {
    const rule = ruleOf({
      trigger: { event: 'x', conditions: { all: [countOf('from-trigger', '1d', 'equal', 0)] } },
      exitOn: [{ event: 'y', conditions: { all: [countOf('from-exit', '1d', 'equal', 0)] } }],
      steps: [
        email('a'),
        branch('b', { all: [countOf('from-branch', '1d', 'equal', 0)] }, [
          waitForEvent('c', 'z', '1h', [], [], { any: [countOf('from-nested-wait', '1d', 'equal', 0)] }),
        ], []),
      ],
    });
    expect(conditionTreesOf(rule)).toHaveLength(4);
    expect([...buildCounterPlan([rule]).byKey.keys()].sort()).toEqual(['from-branch', 'from-exit', 'from-nested-wait', 'from-trigger']);
  });

  it('indexes counters by event name, filtered and unfiltered side by side', () => {
    const plan = buildCounterPlan([
      ruleOf({
        trigger: {
          event: 'x',
          conditions: { all: [countOf('page_viewed', '7d', 'equal', 0), countOf('page_viewed', '7d', 'equal', 0, { page: 'pricing' }), countOf('order_completed', '7d', 'equal', 0)] },
        },
      }),
    ]);
    expect(plan.byEvent.get('page_viewed')?.map((s) => s.key)).toEqual(['page_viewed', counterKey('page_viewed', { page: 'pricing' })]);
    expect(plan.byEvent.get('order_completed')?.map((s) => s.key)).toEqual(['order_completed']);
    expect(plan.byEvent.get('signed_up')).toBeUndefined();
  });

  it('triggerEvents: the trigger event names of the enabled rules; disabled rules and tags add none', () => {
    const plan = buildCounterPlan(
      [
        ruleOf({ id: 'a', trigger: { event: 'cart_abandoned' } }),
        ruleOf({ id: 'b', trigger: { event: 'page_viewed', conditions: { all: [countOf('order_completed', '7d', 'equal', 0)] } } }),
        ruleOf({ id: 'c', enabled: false, trigger: { event: 'signed_up' } }),
      ],
      [tagOf({ name: 'visits', kind: 'count', event: 'session_started', within: '7d', max: 50 })],
    );
    expect([...plan.triggerEvents].sort()).toEqual(['cart_abandoned', 'page_viewed']);
  });

  it('a rule set without counting conditions keeps no counters', () => {
    const plan = buildCounterPlan([ruleOf()]);
    expect(plan.byKey.size).toBe(0);
    expect(plan.byEvent.size).toBe(0);
  });
});
