import { describe, expect, it } from 'vitest';
import { emptyState, type UserState } from '../state/behavior-state';
import type { PersonRecord } from '../identity/identity-store';
import type { UserData } from './find-user-data';
import { toExport } from './export-user';

const nothing = (userKey: string): UserData => ({
  userKey,
  userKeys: [userKey],
  identity: null,
  state: null,
  otherStates: [],
  journeys: [],
  sends: [],
  sendIndexes: [],
  coupons: [],
  linked: [],
  events: [],
  rawEvents: [],
  unattributed: [],
});

describe('toExport', () => {
  it('shows times as ISO-8601 and names journeys by id', () => {
    const at = Date.parse('2026-03-04T10:00:00.000Z');
    const state: UserState = {
      ...emptyState('alice'),
      clock: at,
      traits: { email: 'alice@example.com' },
      counters: { 'page_viewed|page=pricing': [at, at - 3_600_000] },
      entries: { 'pricing-hesitation': { lastEnteredAt: at, entries: 1, lastWorkflowId: 'journey/pricing-hesitation/alice/m1' } },
      journeys: { 'pricing-hesitation': { workflowId: 'journey/pricing-hesitation/alice/m1', ruleVersion: 2, startedAt: at, listens: ['order_completed'], endNotice: true } },
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
    expect(toExport(nothing('ghost'), new Date())).toMatchObject({ held: false, identity: null, profile: null, otherProfiles: {}, journeys: [], sends: [], coupons: [], linkedEntries: [], events: [], rawEvents: [] });
  });

  it('shows the identity graph\'s view: every identifier, merges and refusals of the person and those merged in, refusals elsewhere without who', () => {
    const merge = { at: '2026-03-02T10:00:00.000Z', from: 'p-2', into: 'p-1', via: { type: 'email', value: 'ann@example.com' }, messageId: 'm-5' };
    const refusal = { at: '2026-03-03T10:00:00.000Z', identifier: { type: 'userId', value: 'ann-2' }, reason: 'unique' as const, detail: 'holds userId ann', messageId: 'm-9' };
    const live: PersonRecord = { v: 1, id: 'p-1', createdAt: Date.parse('2026-03-01T10:00:00.000Z'), identifiers: { userId: ['ann'], email: ['ann@example.com'] }, merges: [merge], refusals: [refusal] };
    const tombstone: PersonRecord = { v: 1, id: 'p-2', createdAt: Date.parse('2026-02-01T10:00:00.000Z'), identifiers: { anonymousId: ['device-1'] }, mergedInto: 'p-1', merges: [], refusals: [] };
    const data: UserData = {
      ...nothing('p-1'),
      userKeys: ['p-1', 'p-2', 'ann', 'device-1'],
      identity: {
        lookup: { personId: 'p-1', via: 'email', value: 'ann@example.com' },
        person: live,
        absorbed: [{ personId: 'p-2', record: tombstone }],
        personIds: ['p-1', 'p-2'],
        legacyKeys: ['ann', 'device-1'],
        identifiers: [{ type: 'userId', value: 'ann' }, { type: 'email', value: 'ann@example.com' }, { type: 'anonymousId', value: 'device-1' }],
        identifierKeys: ['i.userId.YW5u', 'i.email.x', 'i.anonymousId.y'],
        mentions: [{ personId: 'p-9', refusals: [{ ...refusal, identifier: { type: 'email', value: 'ann@example.com' }, otherPerson: 'p-1', detail: 'p-9 holds userId bob' }] }],
      },
      otherStates: [{ userKey: 'p-2', state: { ...emptyState('p-2'), mergedInto: 'p-1' } }],
    };
    const exported = toExport(data, new Date());
    expect(exported).toMatchObject({ userId: 'p-1', held: true, otherProfiles: { 'p-2': { mergedInto: 'p-1' } } });
    expect(exported.identity).toEqual({
      personId: 'p-1',
      lookedUpBy: { type: 'email', value: 'ann@example.com' },
      mergedFrom: null,
      firstSeenAt: '2026-02-01T10:00:00.000Z',
      identifiers: { userId: ['ann'], email: ['ann@example.com'], anonymousId: ['device-1'] },
      mergedPeople: ['p-2'],
      merges: [merge],
      refusals: [refusal],
      refusalsOnOtherPeople: [{ at: refusal.at, identifier: { type: 'email', value: 'ann@example.com' }, reason: 'unique' }],
    });
    expect(JSON.stringify(exported.identity)).not.toMatch(/p-9|bob/);
  });
});
