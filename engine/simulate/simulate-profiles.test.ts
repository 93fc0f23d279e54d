/**
 * `--profiles` rows are applied as identify events (the same code path: identity graph, applyEvent,
 * consent), at the simulation's start, so a profile's consent counts as the same identify's would.
 * Rule: the flagship's pricing-hesitation (3 pricing views in 7 days → coupon + email, SMS 2 days later).
 */
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../rules/load-rules';
import type { EventEnvelope } from '../events/envelope';
import { profileIdentify, SimulationInputError } from './inputs';
import { simulate } from './simulator';

const rules = loadRules(['test/scenarios/flagship/rules']);
const traits = { email: 'ann@example.com', phone: '+14155550101', consent: { sms: false } };
const track = (messageId: string, event: string, timestamp: string, properties: Record<string, unknown>): EventEnvelope => ({ type: 'track', event, userId: 'ann', messageId, timestamp, properties, context: {} });
const views = ['2026-03-02T10:00:00.000Z', '2026-03-02T11:00:00.000Z', '2026-03-02T12:00:00.000Z'].map((at, i) => track(`pv-${i}`, 'page_viewed', at, { page: 'pricing' }));
const smsStep = (actions: Awaited<ReturnType<typeof simulate>>) => actions.filter((a) => a.step === 'coupon-sms').map(({ action, reason }) => ({ action, ...(reason ? { reason } : {}) }));

describe('profiles in simulate', () => {
  it('honour traits.consent: {"sms": false} as the same identify does', async () => {
    const fromProfile = await simulate({ rules, events: views, profiles: [{ userId: 'ann', traits }], env: {} });
    const identify: EventEnvelope = { type: 'identify', userId: 'ann', messageId: 'ann-identify', timestamp: '2026-03-02T09:00:00.000Z', traits, context: {} };
    const fromIdentify = await simulate({ rules, events: [identify, ...views], env: {} });
    expect(smsStep(fromProfile)).toEqual([{ action: 'skip', reason: 'no_consent' }]);
    expect(fromProfile.map(({ at: _at, ...rest }) => rest)).toEqual(fromIdentify.map(({ at: _at, ...rest }) => rest));
  });

  it('are decisions at the start: a later subscribed event lifts the profile\'s SMS opt-out', async () => {
    const subscribed = track('sub-1', 'subscribed', '2026-03-03T09:00:00.000Z', { channel: 'sms' });
    const actions = await simulate({ rules, events: [...views, subscribed], profiles: [{ userId: 'ann', traits }], env: {} });
    expect(smsStep(actions)).toEqual([{ action: 'sms' }]);
  });

  it('become identify events with the time given, one messageId per row', () => {
    expect(profileIdentify({ userId: 'ann', traits: { plan: 'pro' } }, 0, '2026-03-02T10:00:00.000Z')).toEqual({
      type: 'identify', userId: 'ann', traits: { plan: 'pro' }, timestamp: '2026-03-02T10:00:00.000Z', messageId: 'profile-1-ann', context: {},
    });
  });

  it('refuse a row that is no valid identify, naming the row', () => {
    expect(() => profileIdentify({ userId: 'x'.repeat(201), traits: {} }, 2, '2026-03-02T10:00:00.000Z')).toThrow(SimulationInputError);
    expect(() => profileIdentify({ userId: 'x'.repeat(201), traits: {} }, 2, '2026-03-02T10:00:00.000Z')).toThrow(/^profile 3: userId: /);
  });
});
