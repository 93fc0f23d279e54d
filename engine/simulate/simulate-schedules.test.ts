/**
 * Scheduled audiences on the simulator's virtual clock: a Monday 09:00 rule reaches a person in Berlin
 * and one in New York at each one's local 09:00 on both sides of Europe's DST change, once per Monday,
 * and not a person the conditions leave out — the same entries the engine's scheduler makes.
 */
import { describe, expect, it } from 'vitest';
import { ruleOf, traitAt } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { simulate } from './simulator';

const monday9 = ruleOf({
  id: 'monday-9',
  trigger: { schedule: { cron: '0 9 * * 1' }, conditions: { all: [traitAt('$.plan', 'equal', 'pro')] } },
  entry: { policy: 'everyTime' },
  steps: [{ id: 'hello', type: 'webhook', url: 'http://127.0.0.1:9/hook' }],
});
const identify = (userId: string, traits: Record<string, unknown>): EventEnvelope => ({ type: 'identify', userId, messageId: `${userId}-id`, timestamp: '2026-03-20T12:00:00.000Z', traits, context: {} });
const events = [identify('ann', { plan: 'pro', timezone: 'Europe/Berlin' }), identify('ben', { plan: 'pro', timezone: 'America/New_York' }), identify('cid', { plan: 'free', timezone: 'Europe/Berlin' })];

describe('scheduled audiences in simulate', () => {
  it('reach each person at their local Monday 09:00, across a DST change', async () => {
    const actions = await simulate({ rules: [{ rule: monday9, file: 'monday-9.json' }], events, env: {}, until: Date.parse('2026-04-01T00:00:00.000Z') });
    const sends = actions.filter((a) => a.step === 'hello').map(({ at, userId }) => `${userId} ${at}`);
    expect(sends).toEqual([
      'ann 2026-03-23T08:00:00.000Z', // CET
      'ben 2026-03-23T13:00:00.000Z', // EDT
      'ann 2026-03-30T07:00:00.000Z', // CEST from 2026-03-29
      'ben 2026-03-30T13:00:00.000Z',
    ]);
  });
});
