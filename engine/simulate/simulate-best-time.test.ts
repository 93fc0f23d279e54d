/**
 * waitUntil "best" in the simulator (the engine's decide code and the journey machine on a virtual
 * clock): a person active at 20:00 Berlin and one active at 20:00 New York each get the email at 20:00
 * in their own zone, though both entered at 09:00 local.
 */
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { RuleSchema } from '../../rules/schema/rule';
import { email, ruleJson } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { simulate } from './simulator';

const rule = RuleSchema.parse(ruleJson({
  id: 'best-welcome',
  trigger: { event: 'trial_started' },
  steps: [{ id: 'best', type: 'waitUntil', time: 'best', fallback: '10:00' }, email('hello', 'Hi', 'Welcome')],
}));

const ENTRY = '2026-02-10T09:00:00';
const identify = (userId: string, zone: string, at: number) =>
  ({ type: 'identify', userId, messageId: `id-${userId}`, timestamp: new Date(at).toISOString(), traits: { timezone: zone, email: `${userId}@example.com` }, context: {} }) as EventEnvelope;
const track = (userId: string, event: string, at: number) =>
  ({ type: 'track', event, userId, messageId: `${userId}-${event}-${at}`, timestamp: new Date(at).toISOString(), properties: {}, context: {} }) as EventEnvelope;

function personEvents(userId: string, zone: string): EventEnvelope[] {
  const entry = DateTime.fromISO(ENTRY, { zone });
  const evenings = [1, 2, 4, 6].map((d) => track(userId, 'page_viewed', entry.minus({ days: d }).set({ hour: 20, minute: 10 }).toMillis()));
  return [identify(userId, zone, entry.minus({ days: 10 }).toMillis()), ...evenings, track(userId, 'trial_started', entry.toMillis())];
}

describe('waitUntil "best" in the simulator', () => {
  it('sends at each person\'s 20:00 local, in two zones', async () => {
    const events = [...personEvents('berta', 'Europe/Berlin'), ...personEvents('nate', 'America/New_York')];
    const actions = await simulate({ rules: [{ rule, file: 'best-welcome.json' }], events, env: {} });
    const sent = (userId: string, zone: string) => {
      const mail = actions.find((a) => a.userId === userId && a.action === 'email');
      if (!mail) throw new Error(`no email for ${userId}: ${JSON.stringify(actions.filter((a) => a.userId === userId))}`);
      return DateTime.fromISO(mail.at, { zone }).toFormat('yyyy-MM-dd HH:mm');
    };
    expect(sent('berta', 'Europe/Berlin')).toBe('2026-02-10 20:00');
    expect(sent('nate', 'America/New_York')).toBe('2026-02-10 20:00');
  });
});
