/**
 * Page, screen and group events: how the engine sees them (behaviorEventOf), how they change a user's
 * state, and a rule triggered on `page_viewed` by path — next to the track `page_viewed` events with
 * `properties.page` that existing rules use, which work as before.
 */
import { describe, expect, it } from 'vitest';
import { countOf, eventAt, ruleOf } from '../../test/support/unit-rules';
import { simulate } from '../simulate/simulator';
import { applyEvent, countWithin, emptyState } from '../state/behavior-state';
import { buildCounterPlan, counterKey } from '../state/counter-plan';
import { behaviorEventOf, parseEnvelope, type EventEnvelope } from './envelope';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
let n = 0;
const base = (at: number) => ({ userId: 'ann', messageId: `m-${++n}`, timestamp: new Date(at).toISOString(), context: {} });
const page = (at: number, properties: Record<string, unknown>, name?: string): EventEnvelope => ({ type: 'page', ...(name ? { name } : {}), properties, ...base(at) });
const trackPage = (at: number, pageName: string): EventEnvelope => ({ type: 'track', event: 'page_viewed', properties: { page: pageName }, ...base(at) });

describe('behaviorEventOf: the one place that names behavior', () => {
  it('a page is page_viewed with its name and category among the properties, and a path from its url if missing', () => {
    expect(behaviorEventOf({ type: 'page', name: 'Pricing', category: 'Marketing', properties: { path: '/pricing', url: 'https://shop.test/pricing?ref=ad' }, ...base(T0) }))
      .toEqual({ name: 'page_viewed', properties: { path: '/pricing', url: 'https://shop.test/pricing?ref=ad', name: 'Pricing', category: 'Marketing' } });
    expect(behaviorEventOf(page(T0, { url: 'https://shop.test/docs/start?x=1' }))?.properties.path).toBe('/docs/start');
    expect(behaviorEventOf(page(T0, { url: 'not a url' }))?.properties).toEqual({ url: 'not a url' });
  });

  it('a screen is screen_viewed; track keeps its name; identify, alias and group are not behavior', () => {
    expect(behaviorEventOf({ type: 'screen', name: 'Cart', properties: { items: 2 }, ...base(T0) })).toEqual({ name: 'screen_viewed', properties: { items: 2, name: 'Cart' } });
    expect(behaviorEventOf(trackPage(T0, 'pricing'))).toEqual({ name: 'page_viewed', properties: { page: 'pricing' } });
    expect(behaviorEventOf({ type: 'identify', traits: {}, ...base(T0) })).toBeNull();
    expect(behaviorEventOf({ type: 'alias', previousId: 'a-1', ...base(T0) })).toBeNull();
    expect(behaviorEventOf({ type: 'group', groupId: 'acme', traits: {}, ...base(T0) })).toBeNull();
  });

  it('the new types are strict envelopes like the others', () => {
    expect(parseEnvelope({ type: 'page', title: 'Pricing', ...base(T0) })).toMatchObject({ ok: false, reason: expect.stringMatching(/Unrecognized key.*title/) });
    expect(parseEnvelope({ type: 'group', traits: {}, ...base(T0) })).toMatchObject({ ok: false, reason: expect.stringMatching(/^groupId: /) });
    expect(parseEnvelope({ type: 'screen', ...base(T0) })).toMatchObject({ ok: true, event: { properties: {} } });
  });
});

describe('state', () => {
  const plan = buildCounterPlan([
    ruleOf({ id: 'by-path', trigger: { event: 'page_viewed', conditions: { all: [countOf('page_viewed', '7d', 'greaterThanInclusive', 3, { path: '/pricing' })] } } }),
    ruleOf({ id: 'by-page', trigger: { event: 'page_viewed', conditions: { all: [countOf('page_viewed', '7d', 'greaterThanInclusive', 3, { page: 'pricing' })] } } }),
  ]);

  it('page events count under page_viewed with their path; track page_viewed events count under their page, as before', () => {
    const events = [page(T0 - 2000, { path: '/pricing' }), page(T0 - 1500, { path: '/docs' }), trackPage(T0 - 1000, 'pricing'), page(T0, { url: 'https://shop.test/pricing' })];
    const state = events.reduce((s, e, i) => applyEvent(s, e, i + 1, plan), emptyState('ann'));
    expect(countWithin(state, counterKey('page_viewed', { path: '/pricing' }), 7 * 86_400_000, T0)).toBe(2);
    expect(countWithin(state, counterKey('page_viewed', { page: 'pricing' }), 7 * 86_400_000, T0)).toBe(1);
  });

  it('group sets traits.groupId and merges the group\'s traits under traits.group', () => {
    let state = applyEvent({ ...emptyState('ann'), traits: { email: 'ann@example.com', group: 'legacy-string' } }, { type: 'group', groupId: 'acme', traits: { name: 'Acme', plan: 'team' }, ...base(T0) }, 1, plan);
    state = applyEvent(state, { type: 'group', groupId: 'acme', traits: { plan: 'enterprise' }, ...base(T0 + 1) }, 2, plan);
    expect(state.traits).toEqual({ email: 'ann@example.com', groupId: 'acme', group: { name: 'Acme', plan: 'enterprise' } });
    expect(state.counters).toEqual({});
  });
});

describe('a rule on page_viewed by path', () => {
  const rule = ruleOf({
    id: 'pricing-by-path',
    trigger: { event: 'page_viewed', conditions: { all: [eventAt('$.properties.path', 'equal', '/pricing'), countOf('page_viewed', '7d', 'greaterThanInclusive', 2, { path: '/pricing' })] } },
    entry: { policy: 'once' },
    exitOn: [{ event: 'order_completed' }],
    steps: [{ id: 'hello', type: 'email', subject: 'Still thinking about {{ event.properties.name }}?', text: 'See {{ event.properties.url }}' }],
  });

  it('enters at the second view of /pricing, with the page\'s fields in the journey\'s event', async () => {
    const actions = await simulate({
      rules: [{ rule, file: 'pricing-by-path.json' }],
      profiles: [{ userId: 'ann', traits: { email: 'ann@example.com' } }],
      events: [
        page(T0 - 3000, { path: '/docs' }, 'Docs'),
        page(T0 - 2000, { path: '/pricing', url: 'https://shop.test/pricing' }, 'Pricing'),
        page(T0 - 1000, { path: '/docs' }, 'Docs'),
        page(T0, { path: '/pricing', url: 'https://shop.test/pricing' }, 'Pricing'),
      ],
    });
    expect(actions.map((a) => [a.at, a.action])).toEqual([[new Date(T0).toISOString(), 'enter'], [new Date(T0).toISOString(), 'email'], [new Date(T0).toISOString(), 'exit']]);
    expect(actions[1]).toMatchObject({ subject: 'Still thinking about Pricing?', body: 'See https://shop.test/pricing' });
  });
});
