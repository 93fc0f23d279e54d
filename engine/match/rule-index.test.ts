/**
 * The rule index: an event name meets only the enabled rules it can trigger; every rule, enabled or
 * not, contributes to the counter plan and can be looked up by id.
 */
import { describe, expect, it } from 'vitest';
import { countOf, eventAt, ruleOf, traitAt } from '../../test/support/unit-rules';
import type { LoadedRule } from '../../rules/load-rules';
import type { TopLevelCondition } from '../../rules/schema/conditions';
import { emptyState } from '../state/behavior-state';
import { requiredProperty, RuleIndex } from './rule-index';

const loaded = (...rules: Parameters<typeof ruleOf>[0][]): LoadedRule[] => rules.map((overrides) => ({ rule: ruleOf(overrides), file: `${overrides!.id}.json` }));

describe('RuleIndex', () => {
  const index = new RuleIndex(
    loaded(
      { id: 'pricing-a', trigger: { event: 'page_viewed' } },
      { id: 'signup', trigger: { event: 'signed_up' } },
      { id: 'pricing-off', enabled: false, trigger: { event: 'page_viewed', conditions: { all: [countOf('order_completed', '30d', 'equal', 0)] } } },
      { id: 'pricing-b', trigger: { event: 'page_viewed' } },
    ),
  );

  it.each([
    ['page_viewed', ['pricing-a', 'pricing-b']],
    ['signed_up', ['signup']],
    ['order_completed', []],
  ])('candidates for "%s" are the enabled rules it triggers, in file order', (event, ids) => {
    expect(index.candidates(event).map((c) => c.rule.id)).toEqual(ids);
  });

  it('a disabled rule is still known by id (validated, never started)', () => {
    expect(index.byId('pricing-off')).toMatchObject({ file: 'pricing-off.json', rule: { enabled: false } });
    expect(index.byId('nope')).toBeUndefined();
  });

  it('compiles each rule\'s trigger conditions once', async () => {
    const compiled = index.byId('pricing-off')!;
    expect(compiled.trigger.conditions).toEqual(compiled.rule.trigger.conditions);
    expect(index.byId('signup')!.trigger.conditions).toBeUndefined();
  });

  it('builds the counter plan from every rule', () => {
    expect([...index.plan.byKey.keys()]).toEqual(['order_completed']);
  });
});

describe('RuleIndex by event property', () => {
  const pageIs = (page: unknown) => eventAt('$.properties.page', 'equal', page);
  const index = new RuleIndex(
    loaded(
      { id: 'pricing-1', trigger: { event: 'page_viewed', conditions: { all: [pageIs('pricing'), countOf('page_viewed', '7d', 'greaterThan', 1)] } } },
      { id: 'any-page', trigger: { event: 'page_viewed' } },
      { id: 'docs', trigger: { event: 'page_viewed', conditions: { all: [traitAt('$.plan', 'equal', 'team'), pageIs('docs')] } } },
      { id: 'step-2', trigger: { event: 'page_viewed', conditions: { all: [eventAt('$.properties.step', 'equal', 2)] } } },
      { id: 'pricing-or', trigger: { event: 'page_viewed', conditions: { any: [pageIs('pricing'), pageIs('docs')] } } },
      { id: 'pricing-2', trigger: { event: 'page_viewed', conditions: { all: [pageIs('pricing')] } } },
      { id: 'pricing-off', enabled: false, trigger: { event: 'page_viewed', conditions: { all: [pageIs('pricing')] } } },
    ),
  );
  const ids = (properties?: Record<string, unknown>) => index.candidates('page_viewed', properties).map((c) => c.rule.id);

  it.each<[string, Record<string, unknown> | undefined, string[]]>([
    ['without properties: every enabled rule, as before', undefined, ['pricing-1', 'any-page', 'docs', 'step-2', 'pricing-or', 'pricing-2']],
    ['pricing: its rules and the unindexed ones, in file order', { page: 'pricing' }, ['pricing-1', 'any-page', 'pricing-or', 'pricing-2']],
    ['docs and step 2: rules of two properties merged in file order', { page: 'docs', step: 2 }, ['any-page', 'docs', 'step-2', 'pricing-or']],
    ['a property missing on the event leaves its rules out', {}, ['any-page', 'pricing-or']],
    ['values compare with ===: "2" is not 2', { step: '2' }, ['any-page', 'pricing-or']],
    ['a value no rule asks for', { page: 'home' }, ['any-page', 'pricing-or']],
  ])('%s', (_name, properties, expected) => {
    expect(ids(properties)).toEqual(expected);
  });

  it('an event name without rules has no candidates, whatever its properties', () => {
    expect(index.candidates('signed_up', { page: 'pricing' })).toEqual([]);
  });

  it('the filter never drops a rule that matches: each candidate left out fails its conditions', () => {
    const state = { ...emptyState('u1'), clock: 1 };
    for (const properties of [{ page: 'pricing' }, { page: 'docs', step: 2 }, {}, { step: '2' }]) {
      const kept = new Set(index.candidates('page_viewed', properties));
      const ctx = { event: { event: 'page_viewed', properties }, traits: { plan: 'team' }, state, now: 1, before: 1 };
      for (const rule of index.candidates('page_viewed')) if (!kept.has(rule)) expect(rule.trigger.matches(ctx)).toBe(false);
    }
  });

  it.each<[string, TopLevelCondition | undefined, ReturnType<typeof requiredProperty>]>([
    ['no conditions', undefined, undefined],
    ['a top-level all with an equal on a property', { all: [traitAt('$.plan', 'equal', 'x'), pageIs(true)] }, { property: 'page', value: true }],
    ['an any', { any: [pageIs('pricing')] }, undefined],
    ['a nested all', { all: [{ all: [pageIs('pricing')] }] }, undefined],
    ['a deeper path', { all: [eventAt('$.properties.page.name', 'equal', 'pricing')] }, undefined],
    ['another operator', { all: [eventAt('$.properties.page', 'in', ['pricing'])] }, undefined],
    ['a value that is not a scalar', { all: [pageIs(['pricing']), pageIs(null), pageIs({ fact: 'traits', path: '$.page' })] }, undefined],
  ])('requiredProperty: %s', (_name, conditions, expected) => {
    expect(requiredProperty(conditions)).toEqual(expected);
  });
});
