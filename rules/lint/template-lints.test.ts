/** Template variables nothing provides: an unknown root, a coupon code before any coupon, a trait or event property the catalog lacks. */
import { describe, expect, it } from 'vitest';
import { branch, coupon, email, ruleOf, sms, traitAt, wait, waitForEvent } from '../../test/support/unit-rules';
import { formatJsonPath } from '../rule-errors';
import type { Catalog } from '../schema/catalog';
import type { Step } from '../schema/steps';
import { templateLints } from './template-lints';

const catalog: Catalog = {
  events: { product_added: { properties: { product: { type: 'string' }, price: { type: 'number' } } }, page_viewed: {} },
  traits: { email: { type: 'string' }, first_name: { type: 'string' } },
};

const lintsOf = (steps: Step[], options: { catalog?: Catalog; trigger?: string; tags?: string[] } = {}) =>
  templateLints(ruleOf({ trigger: { event: options.trigger ?? 'product_added' }, steps }), {
    triggerEvents: new Set(),
    ...(options.catalog ? { catalog: options.catalog } : {}),
    ...(options.tags ? { tags: new Set(options.tags) } : {}),
  }).map((lint) => {
    expect(lint.code).toBe('unknown-template-variable');
    return { path: formatJsonPath(lint.path), message: lint.message };
  });

const isTeam = { all: [traitAt('$.plan', 'equal', 'team')] };

describe('variables outside the template context', () => {
  it.each<[string, string, RegExp]>([
    ['an unknown root', 'Hi {{ customer.name }}', /^\{\{ customer\.name \}\}: templates have no variable "customer"; they can use user, traits, tags, event, coupon, journey, rule, scores$/],
    ['an unknown user property', '{{ user.email }}', /^\{\{ user\.email \}\}: user has user\.id, not "email"$/],
    ['an unknown event property', '{{ event.name }}', /event has event\.event, event\.messageId, event\.timestamp, event\.properties, not "name"/],
  ])('%s fires', (_name, template, message) => {
    expect(lintsOf([email('e', template, 'text')])).toEqual([{ path: '$.steps[0].subject', message: expect.stringMatching(message) }]);
  });

  it('is quiet for what templates have, and for loop variables and assigns', () => {
    const template = "{{ user.id }} {{ traits.anything | default: 'x' }} {{ event.properties.product }} {{ journey.id }} {{ rule.id }} v{{ rule.version }} {{ scores[\"convert-14d\"] | times: 100 | round }}% "
      + '{% for item in event.properties.items %}{{ item.name }}{% endfor %}{% assign first = traits.first_name %}{{ first }}';
    expect(lintsOf([email('e', template, template)])).toEqual([]);
  });

  it('checks every template field: email to/html, sms to, webhook payload strings', () => {
    const steps: Step[] = [
      { id: 'e', type: 'email', to: '{{ a.x }}', subject: 's', text: 't', html: '{{ b.x }}' },
      { id: 's', type: 'sms', to: '{{ c.x }}', body: 'b' },
      { id: 'h', type: 'webhook', url: 'https://crm.example.com/hook', payload: { 'user-id': '{{ d.x }}', count: 1 } },
    ];
    expect(lintsOf(steps).map((lint) => lint.path)).toEqual(['$.steps[0].to', '$.steps[0].html', '$.steps[1].to', '$.steps[2].payload["user-id"]']);
  });
});

describe('coupon variables', () => {
  it('fire when no coupon step can have run before the step', () => {
    expect(lintsOf([email('e', 'Hi', 'Code {{ coupon.code }}'), coupon('c')])).toEqual([
      { path: '$.steps[0].text', message: '{{ coupon.code }}: no coupon step runs before this step, so there is no coupon code here' },
    ]);
  });

  it('fire in the other branch than the one that issued the coupon', () => {
    expect(lintsOf([branch('b', isTeam, [coupon('c')], [sms('s')])])).toEqual([{ path: '$.steps[0].else[0].body', message: expect.stringMatching(/no coupon step runs before/) }]);
  });

  it('look inside split variants: a variant without the coupon fires, the one with it is quiet', () => {
    const split: Step = { id: 'ab', type: 'split', variants: [{ name: 'a', weight: 1, steps: [coupon('c'), sms('with')] }, { name: 'b', weight: 1, steps: [sms('without')] }] };
    expect(lintsOf([split])).toEqual([{ path: '$.steps[0].variants[1].steps[0].body', message: expect.stringMatching(/no coupon step runs before/) }]);
  });

  it.each<[string, Step[]]>([
    ['a coupon step in a split variant that can have run', [{ id: 'ab', type: 'split', variants: [{ name: 'a', weight: 1, steps: [coupon('c')] }, { name: 'b', weight: 1, steps: [] }] }, sms('s')]],
    ['a coupon step earlier in the same list', [coupon('c'), wait('w', '1d'), sms('s')]],
    ['a coupon step in an enclosing list, before the branching step', [coupon('c'), waitForEvent('w', 'x', '1h', [], [branch('b', isTeam, [sms('s')], [])])]],
    ['a coupon step in a nested list that can have run', [branch('b', isTeam, [coupon('c')], []), sms('s')]],
  ])('are quiet after %s', (_name, steps) => {
    expect(lintsOf(steps)).toEqual([]);
  });
});

describe('with a catalog', () => {
  it('fires on a trait the catalog does not list', () => {
    expect(lintsOf([email('e', 'Hi {{ traits.frist_name }}', 't')], { catalog })).toEqual([
      { path: '$.steps[0].subject', message: '{{ traits.frist_name }}: "frist_name" is not a trait in the catalog' },
    ]);
  });

  it("fires on an event property the catalog does not list for the trigger event", () => {
    expect(lintsOf([email('e', 'You left {{ event.properties.prodcut }}', 't')], { catalog })).toEqual([
      { path: '$.steps[0].subject', message: '{{ event.properties.prodcut }}: the catalog lists no property "prodcut" on "product_added", the trigger event' },
    ]);
  });

  it('is quiet for listed traits and properties, for events the catalog does not describe, and without a catalog', () => {
    expect(lintsOf([email('e', '{{ traits.first_name }} {{ event.properties.price }}', 't')], { catalog })).toEqual([]);
    expect(lintsOf([email('e', '{{ event.properties.anything }}', 't')], { catalog, trigger: 'page_viewed' })).toEqual([]);
    expect(lintsOf([email('e', '{{ traits.frist_name }} {{ event.properties.prodcut }}', 't')])).toEqual([]);
  });
});

describe('tags', () => {
  it('fires on a tag no tag file defines', () => {
    expect(lintsOf([email('e', 'Stage {{ tags.funnel_stage }}, depth {{ tags.visit_deep }}', 't')], { tags: ['funnel_stage', 'visit_depth'] })).toEqual([
      { path: '$.steps[0].subject', message: '{{ tags.visit_deep }}: no tag "visit_deep" is defined (tags: funnel_stage, visit_depth)' },
    ]);
    expect(lintsOf([email('e', '{{ tags.funnel_stage }}', 't')], { tags: [] })).toEqual([
      { path: '$.steps[0].subject', message: '{{ tags.funnel_stage }}: no tag "funnel_stage" is defined: there are no tag files' },
    ]);
  });

  it('is quiet for defined tags, and when the tag set is not known', () => {
    expect(lintsOf([email('e', '{% if tags.high_intent %}{{ tags.funnel_stage }}{% endif %}', 't')], { tags: ['funnel_stage', 'high_intent'] })).toEqual([]);
    expect(lintsOf([email('e', '{{ tags.anything }}', 't')])).toEqual([]);
  });
});
