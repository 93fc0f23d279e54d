/**
 * Late events in the simulator: `order: 'arrival'` replays events as delivered, the way the engine met
 * them, and the rule's allowed lateness (3 s, test/fixtures/late-arrival/pricing-late.json) lets an event
 * from before the trigger that arrives within it still keep the user out.
 */
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../rules/load-rules';
import type { EventEnvelope } from '../events/envelope';
import { simulate, type SimulationAction } from './simulator';

const [pricingLate] = loadRules(['test/fixtures/late-arrival/pricing-late.json']);
const T = Date.parse('2026-03-02T10:00:00.000Z');
const track = (userId: string, event: string, at: number, properties: Record<string, unknown> = {}): EventEnvelope =>
  ({ type: 'track', userId, event, messageId: `${userId}-${event}-${at}`, timestamp: new Date(at).toISOString(), properties, context: {} });
const identify = (userId: string): EventEnvelope => ({ type: 'identify', userId, messageId: `${userId}-identify`, timestamp: new Date(T - 3_600_000).toISOString(), traits: { email: `${userId}@example.com` }, context: {} });
/** Three pricing views, the last at T: the trigger. */
const viewsOf = (userId: string) => [identify(userId), ...[T - 120_000, T - 60_000, T].map((at) => track(userId, 'page_viewed', at, { page: 'pricing' }))];

const run = (events: EventEnvelope[], options: { order?: 'time' | 'arrival'; rule?: typeof pricingLate } = {}) =>
  simulate({ rules: [options.rule ?? pricingLate!], events, env: {}, ...(options.order ? { order: options.order } : {}) });
const story = (actions: SimulationAction[], userId: string) =>
  actions.filter((a) => a.userId === userId).map((a) => [a.at.slice(11, 19), a.step ?? '', a.action, a.reason ?? '']);

describe('simulate with late events', () => {
  // ann booked a demo and bob ordered a minute before their first view; both events arrive after the third view.
  const late = [...viewsOf('ann'), track('ann', 'demo_booked', T - 180_000), ...viewsOf('bob'), track('bob', 'order_completed', T - 180_000)];

  it('in time order, the demo and the order come first: nobody enters', async () => {
    expect(await run(late)).toEqual([]);
  });

  it('in arrival order, within the lateness: they enter, wait 3 s, and the late event keeps the email back', async () => {
    const actions = await run(late, { order: 'arrival' });
    expect(story(actions, 'ann')).toEqual([
      ['10:00:00', '', 'enter', ''],
      ['10:00:00', 'coupon-email', 'wait', 'allowed_lateness'],
      ['10:00:03', '', 'exit', 'trigger_no_longer_true'],
    ]);
    // An order is an exit event too: it ends the journey during the wait, before the re-check.
    expect(story(actions, 'bob')).toEqual([
      ['10:00:00', '', 'enter', ''],
      ['10:00:00', 'coupon-email', 'wait', 'allowed_lateness'],
      ['10:00:00', '', 'exit', 'exit_event'],
    ]);
    expect(actions.some((a) => a.action === 'email')).toBe(false);
  });

  it('in arrival order, after the lateness (time moved on before the order arrived): the email, then the exit', async () => {
    const events = [...viewsOf('cat'), track('cat', 'page_viewed', T + 5000, { page: 'docs' }), track('cat', 'order_completed', T - 180_000)];
    expect(story(await run(events, { order: 'arrival' }), 'cat')).toEqual([
      ['10:00:00', '', 'enter', ''],
      ['10:00:00', 'coupon-email', 'wait', 'allowed_lateness'],
      ['10:00:03', 'coupon-email', 'email', ''],
      ['10:00:03', 'wait-an-hour', 'wait', ''],
      ['10:00:05', '', 'exit', 'exit_event'],
    ]);
  });

  it('without allowed lateness, arrival order shows what the engine does today: the email goes out, then the order ends it', async () => {
    const rule = { ...pricingLate!, rule: { ...pricingLate!.rule, allowedLateness: false as const } };
    expect(story(await run(late, { order: 'arrival', rule }), 'bob')).toEqual([
      ['10:00:00', '', 'enter', ''],
      ['10:00:00', 'coupon-email', 'email', ''],
      ['10:00:00', 'wait-an-hour', 'wait', ''],
      ['10:00:00', '', 'exit', 'exit_event'],
    ]);
  });

  it('NUDGE_ALLOWED_LATENESS applies to a rule that sets none', async () => {
    const { allowedLateness: _own, ...rest } = pricingLate!.rule;
    const actions = await simulate({ rules: [{ ...pricingLate!, rule: rest }], events: late, env: { NUDGE_ALLOWED_LATENESS: '2m' }, order: 'arrival' });
    expect(story(actions, 'ann').at(-1)).toEqual(['10:02:00', '', 'exit', 'trigger_no_longer_true']);
  });
});
