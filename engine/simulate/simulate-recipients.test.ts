/**
 * Output a marketer can search: the member id (userId) beside a person named after a device, and an
 * SMS `to` as the SMS connector sends it (E.164), not as the template rendered it.
 */
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../rules/load-rules';
import type { EventEnvelope } from '../events/envelope';
import { toTable } from './output';
import { simulate } from './simulator';

const rules = loadRules(['test/scenarios/flagship/rules']);
const view = (n: number, timestamp: string, ids: { userId?: string; anonymousId?: string }): EventEnvelope => ({ type: 'track', event: 'page_viewed', ...ids, messageId: `pv-${n}`, timestamp, properties: { page: 'pricing' }, context: {} } as EventEnvelope);
// Lena browses on her phone, logs in there (a phone number written as people write it), views again.
const events: EventEnvelope[] = [
  view(1, '2026-03-02T08:00:00.000Z', { anonymousId: 'lena-phone' }),
  view(2, '2026-03-02T09:00:00.000Z', { anonymousId: 'lena-phone' }),
  { type: 'identify', userId: 'lena', anonymousId: 'lena-phone', messageId: 'login', timestamp: '2026-03-02T10:00:00.000Z', traits: { email: 'lena@example.com', phone: '(415) 555-0111' }, context: {} },
  view(3, '2026-03-02T11:00:00.000Z', { userId: 'lena', anonymousId: 'lena-laptop' }),
];

describe('simulate output a marketer can search', () => {
  it('names the member id of a person keyed by a device id, on every row of theirs', async () => {
    const actions = await simulate({ rules, events, env: {} });
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions.map((a) => `${a.userId}/${a.memberId}`))).toEqual(new Set(['lena-phone/lena']));
    expect(toTable(actions)).toContain('lena-phone (member lena)');
  });

  it('leaves the member id out when the person is named after it', async () => {
    const member = events.map((e) => ({ ...e, userId: 'lena', anonymousId: undefined }) as EventEnvelope);
    const actions = await simulate({ rules, events: member, env: {} });
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => a.userId === 'lena' && !('memberId' in a))).toBe(true);
  });

  it('prints the SMS recipient in E.164, as the SMS connector sends it', async () => {
    const actions = await simulate({ rules, events, env: {} });
    expect(actions.find((a) => a.action === 'sms')).toMatchObject({ to: '+14155550111' });
  });
});
