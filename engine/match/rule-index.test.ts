/**
 * The rule index: an event name meets only the enabled rules it can trigger; every rule, enabled or
 * not, contributes to the counter plan and can be looked up by id.
 */
import { describe, expect, it } from 'vitest';
import { countOf, ruleOf } from '../../test/support/unit-rules';
import type { LoadedRule } from '../../rules/load-rules';
import { RuleIndex } from './rule-index';

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
