/**
 * Absence triggers on the simulator's virtual clock: rules/win-back.json (enabled here) fires 7 days
 * after a person's last visit, a visit on day 6 postpones it, the rule's conditions are read at firing,
 * and the "after" form fires only when the watched event stays away.
 */
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../rules/load-rules';
import { ruleOf } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { simulate } from './simulator';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const winBack = loadRules(['rules/win-back.json']).map((loaded) => ({ ...loaded, rule: { ...loaded.rule, enabled: true } }));
const identify = (userId: string): EventEnvelope => ({ type: 'identify', userId, messageId: `id-${userId}`, timestamp: iso(T0 - DAY), traits: { email: `${userId}@example.com` }, context: {} });
const visit = (userId: string, day: number, path = '/docs'): EventEnvelope =>
  ({ type: 'track', event: 'page_viewed', userId, messageId: `${userId}-${day}`, timestamp: iso(T0 + day * DAY), properties: { path }, context: {} });

const entries = (actions: Awaited<ReturnType<typeof simulate>>) => actions.filter((a) => a.action === 'email').map((a) => `${a.userId} ${a.at}`);

describe('absence triggers in simulate', () => {
  it('no visit for 7 days: the email goes out exactly 7 days after the last visit; a visit on day 6 postpones it', async () => {
    const events = [identify('ann'), identify('bob'), ...[0, 1, 2].map((d) => visit('ann', d)), ...[0, 1, 2, 8].map((d) => visit('bob', d))];
    const actions = await simulate({ rules: winBack, events, env: {} });
    expect(entries(actions)).toEqual([`ann ${iso(T0 + 9 * DAY)}`, `bob ${iso(T0 + 15 * DAY)}`]);
    expect(actions.find((a) => a.action === 'email' && a.userId === 'ann')).toMatchObject({ ruleId: 'win-back', body: expect.stringContaining('/docs') });
  });

  it('the conditions are read when the timer fires: two visits in 30 days are not enough', async () => {
    const actions = await simulate({ rules: winBack, events: [identify('cat'), visit('cat', 0), visit('cat', 1)], env: {} });
    expect(entries(actions)).toEqual([]);
  });

  it('no order_completed within 3 days after trial_will_end', async () => {
    const rule = ruleOf({ id: 'trial-end', trigger: { absence: { event: 'order_completed', for: '3d', after: { event: 'trial_will_end' } } }, entry: { policy: 'once' } });
    const track = (userId: string, event: string, day: number): EventEnvelope => ({ type: 'track', event, userId, messageId: `${userId}-${event}-${day}`, timestamp: iso(T0 + day * DAY), properties: {}, context: {} });
    const events = [identify('dan'), identify('eve'), track('dan', 'trial_will_end', 0), track('eve', 'trial_will_end', 0), track('eve', 'order_completed', 2)];
    const actions = await simulate({ rules: [{ rule, file: 'trial-end.json' }], events, env: {} });
    expect(actions.filter((a) => a.action === 'enter').map((a) => `${a.userId} ${a.at}`)).toEqual([`dan ${iso(T0 + 3 * DAY)}`]);
  });
});
