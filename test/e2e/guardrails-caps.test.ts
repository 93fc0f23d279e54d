/**
 * Frequency caps end to end, on the whole stack (engine, Temporal, fake Twilio) with a global cap of one
 * SMS per user per day: two rules triggered by the same event race for the slot and exactly one SMS goes
 * out, the other journey records `skip` / frequency_cap; a transactional SMS and a rule that turns the
 * cap off are exempt, but the exempt rule's SMS still counts for the capped rules (caps count across all
 * rules). The same cases run in the simulator. The cap stores themselves (KV, memory) run one suite:
 * workflows/activities/cap-store.conformance.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../engine/events/envelope';
import { simulate, type SimulationAction } from '../../engine/simulate/simulator';
import { loadRules } from '../../rules/load-rules';
import type { JourneyResult } from '../../workflows/journey/journey-input';
import { eventually } from '../support/poll';
import { identify, startStack, track, type Stack } from '../support/stack';

const RULES = 'test/fixtures/guardrails-caps';
const ONE_SMS_PER_DAY = '{"sms":{"max":1,"per":"1d"}}';
const DAY = 86_400_000;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ rules: RULES, env: { NUDGE_FREQUENCY_CAPS: ONE_SMS_PER_DAY } });
});
afterAll(async () => {
  await stack?.stop();
});

const phoneOf = (index: number) => `+1415555${String(200 + index).padStart(4, '0')}`;

async function journeysOf(user: string, ruleIds: string[], since = 0): Promise<Map<string, JourneyResult>> {
  const ids = await eventually(() => {
    const found = new Map<string, string>();
    for (const outcome of stack.outcomes.slice(since)) {
      for (const d of outcome.decisions) {
        if (outcome.userKey === user && ruleIds.includes(d.ruleId) && d.outcome === 'started') found.set(d.ruleId, d.workflowId);
      }
    }
    return found.size === ruleIds.length ? found : undefined;
  }, 15_000, `journeys of ${user} in ${ruleIds.join(', ')}`);
  const results = new Map<string, JourneyResult>();
  for (const [ruleId, workflowId] of ids) results.set(ruleId, await stack.temporal.workflow.getHandle(workflowId).result());
  return results;
}

const smsActions = (result: JourneyResult) => result.log.filter((a) => a.action !== 'exit');

describe('frequency caps on Temporal with the fake Twilio API', () => {
  const users = ['cap-0', 'cap-1', 'cap-2', 'cap-3', 'cap-4'];

  it('two rules triggered by one event race for the one SMS slot: exactly one SMS, the other journey skips with frequency_cap', async () => {
    for (const [i, user] of users.entries()) await stack.publish(identify(user, { phone: phoneOf(i) }, new Date(Date.now() - 60_000)));
    await stack.settle();
    for (const user of users) await stack.publish(track(user, 'flash_sale', new Date()));

    for (const [i, user] of users.entries()) {
      const journeys = await journeysOf(user, ['flash-sale-a', 'flash-sale-b']);
      const logs = [...journeys.values()].map(smsActions);
      const sent = logs.filter((log) => log.length === 1 && log[0]!.action === 'sms');
      const skipped = logs.filter((log) => log.length === 1 && log[0]!.action === 'skip');
      expect(sent, `${user}: ${JSON.stringify(logs)}`).toHaveLength(1);
      expect(skipped, `${user}: ${JSON.stringify(logs)}`).toHaveLength(1);
      expect(skipped[0]![0]).toMatchObject({ step: 'sale-sms', action: 'skip', reason: 'frequency_cap', detail: 'at most 1 sms per 1d' });
      for (const result of journeys.values()) expect(result.reason).toBe('completed');

      await stack.twilio.waitFor((m) => m.to === phoneOf(i), 5000);
      const received = stack.twilio.messages().filter((m) => m.to === phoneOf(i));
      expect(received, `${user} received ${received.map((m) => m.body).join(' | ')}`).toHaveLength(1);
      expect(received[0]!.body).toBe(sent[0]![0]!.body);
      expect(received[0]!.body).toMatch(new RegExp(`^[AB]: flash sale for ${user}$`));
    }
  });

  it('a transactional SMS goes out although the user\'s cap is used up', async () => {
    const since = stack.outcomes.length;
    await stack.publish(track('cap-0', 'order_completed', new Date()));
    const journeys = await journeysOf('cap-0', ['order-receipt'], since);
    expect(smsActions(journeys.get('order-receipt')!)).toMatchObject([{ step: 'receipt-sms', action: 'sms', to: phoneOf(0) }]);
    await stack.twilio.waitFor((m) => m.to === phoneOf(0) && m.body === 'Receipt: order for cap-0 confirmed', 5000);
  });

  it('a rule with frequencyCaps { sms: false } is exempt', async () => {
    const since = stack.outcomes.length;
    await stack.publish(track('cap-1', 'price_dropped', new Date()));
    const journeys = await journeysOf('cap-1', ['price-alert'], since);
    expect(smsActions(journeys.get('price-alert')!)).toMatchObject([{ step: 'alert-sms', action: 'sms', to: phoneOf(1) }]);
    await stack.twilio.waitFor((m) => m.to === phoneOf(1) && m.body === 'Alert: price dropped for cap-1', 5000);
  });

  it('the exempt sends took no slot away and gave none back: the next capped SMS of the day is still skipped', async () => {
    const since = stack.outcomes.length;
    const before = stack.twilio.messages().filter((m) => m.to === phoneOf(0)).length;
    await stack.publish(track('cap-0', 'flash_sale', new Date()));
    const journeys = await journeysOf('cap-0', ['flash-sale-a', 'flash-sale-b'], since);
    for (const result of journeys.values()) expect(smsActions(result)).toMatchObject([{ action: 'skip', reason: 'frequency_cap' }]);
    expect(stack.twilio.messages().filter((m) => m.to === phoneOf(0))).toHaveLength(before);
  });

  it('an SMS of the rule that turns the cap off still counts: the capped rules racing after it both skip', async () => {
    const user = 'cap-9';
    await stack.publish(identify(user, { phone: phoneOf(9) }, new Date(Date.now() - 60_000)));
    await stack.settle();
    let since = stack.outcomes.length;
    await stack.publish(track(user, 'price_dropped', new Date()));
    await journeysOf(user, ['price-alert'], since);
    since = stack.outcomes.length;
    await stack.publish(track(user, 'flash_sale', new Date()));
    const journeys = await journeysOf(user, ['flash-sale-a', 'flash-sale-b'], since);
    for (const result of journeys.values()) expect(smsActions(result)).toMatchObject([{ action: 'skip', reason: 'frequency_cap' }]);
    expect(stack.twilio.messages().filter((m) => m.to === phoneOf(9)).map((m) => m.body)).toEqual([`Alert: price dropped for ${user}`]);
  });
});

describe('frequency caps in the simulator', () => {
  const rules = loadRules([RULES]);
  const t0 = Date.parse('2025-05-01T12:00:00.000Z');
  const at = (ms: number) => new Date(t0 + ms);
  const profiles = ['ann', 'bob'].map((userId, i) => ({ userId, traits: { phone: phoneOf(i) } }));
  const run = (events: EventEnvelope[], caps = ONE_SMS_PER_DAY, until?: number) =>
    simulate({ rules, events, profiles, env: { NUDGE_FREQUENCY_CAPS: caps }, ...(until ? { until } : {}) });
  const messages = (actions: SimulationAction[], user: string) => actions.filter((a) => a.userId === user && a.action === 'sms');

  it('two rules racing for one SMS slot: one sms, the other journey skips with frequency_cap', async () => {
    const actions = await run([track('ann', 'flash_sale', at(0)), track('bob', 'flash_sale', at(0))]);
    for (const user of ['ann', 'bob']) {
      expect(messages(actions, user)).toHaveLength(1);
      const skips = actions.filter((a) => a.userId === user && a.action === 'skip');
      expect(skips).toHaveLength(1);
      expect(skips[0]).toMatchObject({ step: 'sale-sms', reason: 'frequency_cap' });
      expect(skips[0]!.ruleId).not.toBe(messages(actions, user)[0]!.ruleId);
    }
  });

  it('a day later the slot is free again', async () => {
    const actions = await run([track('ann', 'flash_sale', at(0)), track('ann', 'flash_sale', at(DAY + 1000))]);
    expect(messages(actions, 'ann').map((a) => a.at)).toEqual([at(0).toISOString(), at(DAY + 1000).toISOString()]);
  });

  it('transactional SMS and a rule with frequencyCaps { sms: false } are exempt', async () => {
    const actions = await run([track('ann', 'flash_sale', at(0)), track('ann', 'order_completed', at(1000)), track('ann', 'price_dropped', at(2000))]);
    expect(messages(actions, 'ann').map((a) => a.ruleId).sort()).toEqual(expect.arrayContaining(['order-receipt', 'price-alert']));
    expect(messages(actions, 'ann')).toHaveLength(3);
    expect(actions.filter((a) => a.action === 'skip').map((a) => a.reason)).toEqual(['frequency_cap']);
  });

  it('the exempt rule\'s SMS counts for the capped ones: after it, both racing rules skip', async () => {
    const actions = await run([track('ann', 'price_dropped', at(0)), track('ann', 'flash_sale', at(1000))]);
    expect(messages(actions, 'ann').map((a) => a.ruleId)).toEqual(['price-alert']);
    expect(actions.filter((a) => a.action === 'skip').map((a) => [a.ruleId, a.reason]).sort()).toEqual([['flash-sale-a', 'frequency_cap'], ['flash-sale-b', 'frequency_cap']]);
  });

  it('without a global cap both racing rules send', async () => {
    const actions = await run([track('ann', 'flash_sale', at(0))], '{}');
    expect(messages(actions, 'ann')).toHaveLength(2);
  });

  it('policy defer: the losing SMS waits until the slot frees up, then goes out', async () => {
    const actions = await run([track('ann', 'flash_sale', at(0))], '{"sms":{"max":1,"per":"1d","policy":"defer"}}', t0 + 2 * DAY);
    const sent = messages(actions, 'ann');
    expect(sent.map((a) => a.at)).toEqual([at(0).toISOString(), at(DAY + 1).toISOString()]);
    const deferred = actions.find((a) => a.action === 'wait');
    expect(deferred).toMatchObject({ userId: 'ann', step: 'sale-sms', reason: 'frequency_cap', ruleId: sent[1]!.ruleId });
  });
});
