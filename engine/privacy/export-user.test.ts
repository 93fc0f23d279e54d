import { describe, expect, it } from 'vitest';
import { emptyState, type UserState } from '../state/behavior-state';
import type { UserData } from './find-user-data';
import { toExport } from './export-user';

const nothing = (userKey: string): UserData => ({ userKey, state: null, journeys: [], sends: [], sendIndexes: [], coupons: [], linked: [], events: [], unattributed: [] });

describe('toExport', () => {
  it('shows times as ISO-8601 and names journeys by id', () => {
    const at = Date.parse('2026-03-04T10:00:00.000Z');
    const state: UserState = {
      ...emptyState('alice'),
      clock: at,
      traits: { email: 'alice@example.com' },
      counters: { 'page_viewed|page=pricing': [at, at - 3_600_000] },
      entries: { 'pricing-hesitation': { lastEnteredAt: at, entries: 1, lastWorkflowId: 'journey/pricing-hesitation/alice/m1' } },
      journeys: { 'pricing-hesitation': { workflowId: 'journey/pricing-hesitation/alice/m1', ruleVersion: 2, startedAt: at, listens: ['order_completed'] } },
      consent: { sms: { all: { granted: false, at, source: 'sms_stop' } } },
      outbox: [{ ruleId: 'r', workflowId: 'journey/r/alice/m1', event: { messageId: 'm2', event: 'order_completed', timestamp: '2026-03-04T10:00:00.000Z', properties: {} } }],
    };
    const exported = toExport({ ...nothing('alice'), state }, new Date(at));
    expect(exported).toMatchObject({
      userId: 'alice',
      exportedAt: '2026-03-04T10:00:00.000Z',
      held: true,
      profile: {
        traits: { email: 'alice@example.com' },
        consent: { sms: { all: { granted: false, at: '2026-03-04T10:00:00.000Z', source: 'sms_stop' } } },
        lastEventAt: '2026-03-04T10:00:00.000Z',
        counters: { 'page_viewed|page=pricing': ['2026-03-04T10:00:00.000Z', '2026-03-04T09:00:00.000Z'] },
        entries: { 'pricing-hesitation': { entries: 1, lastEnteredAt: '2026-03-04T10:00:00.000Z', lastJourneyId: 'journey/pricing-hesitation/alice/m1' } },
        journeyMarkers: { 'pricing-hesitation': { journeyId: 'journey/pricing-hesitation/alice/m1', ruleVersion: 2, startedAt: '2026-03-04T10:00:00.000Z', listens: ['order_completed'] } },
        outbox: [expect.objectContaining({ workflowId: 'journey/r/alice/m1' })],
      },
    });
  });

  it('shows when each trait was set, the sessions of distinct tags, and the tag values when given', () => {
    const at = Date.parse('2026-03-04T10:00:00.000Z');
    const state: UserState = {
      ...emptyState('alice'),
      clock: at,
      traits: { plan: 'team' },
      traitsUpdatedAt: { plan: at - 86_400_000 },
      sessions: { 'page_viewed#["path",1800000]': { startedAt: at - 60_000, lastAt: at, values: ['/pricing', '/'] } },
      identifiers: { userId: 'alice', anonymousIds: ['device-1'] },
    };
    const exported = toExport({ ...nothing('alice'), state }, new Date(at), { funnel_stage: 'viewed_pricing', visit_depth: 2 });
    expect(exported.profile).toMatchObject({
      traitsUpdatedAt: { plan: '2026-03-03T10:00:00.000Z' },
      sessions: { 'page_viewed#["path",1800000]': { startedAt: '2026-03-04T09:59:00.000Z', lastAt: '2026-03-04T10:00:00.000Z', values: ['/pricing', '/'] } },
      identifiers: { userId: 'alice', anonymousIds: ['device-1'] },
      tags: { funnel_stage: 'viewed_pricing', visit_depth: 2 },
    });
    expect(toExport({ ...nothing('alice'), state }, new Date(at)).profile).not.toHaveProperty('tags');
  });

  it('passes fields it does not know through, so nothing stored is hidden', () => {
    const state = { ...emptyState('alice'), laterField: { note: 'kept' } } as UserState;
    expect(toExport({ ...nothing('alice'), state }, new Date()).profile).toMatchObject({ laterField: { note: 'kept' } });
    expect(toExport({ ...nothing('alice'), state }, new Date()).profile).not.toHaveProperty('userKey');
  });

  it('puts each send and coupon with its journey and step', () => {
    const journeyId = 'journey/pricing-hesitation/alice/m1';
    const exported = toExport(
      {
        ...nothing('alice'),
        sends: [{ key: 's.x.coupon-email', journeyId, stepId: 'coupon-email', revision: 3, record: { status: 'sent', channel: 'email', journeyId, stepId: 'coupon-email', at: '2026-03-04T10:00:00.000Z', to: 'alice@example.com' } }],
        coupons: [{ bucket: 'nudge_coupons', key: 'assignment.x', journeyId, stepId: 'issue-coupon', value: { code: 'SAVE10-AB', source: 'generated', journeyId, stepId: 'issue-coupon', issuedAt: '2026-03-04T10:00:00.000Z' } }],
      },
      new Date(),
    );
    expect(exported.sends).toEqual([expect.objectContaining({ journeyId, stepId: 'coupon-email', to: 'alice@example.com', status: 'sent' })]);
    expect(exported.coupons).toEqual([expect.objectContaining({ journeyId, stepId: 'issue-coupon', code: 'SAVE10-AB' })]);
  });

  it('says when nothing is held', () => {
    expect(toExport(nothing('ghost'), new Date())).toMatchObject({ held: false, profile: null, journeys: [], sends: [], coupons: [], linkedEntries: [], events: [] });
  });
});
