/**
 * A journey whose person was merged away keeps running under the old id; its activities read the live
 * person (the worker's loadUserState follows `mergedInto`): consent, traits and conditions are the live
 * person's, and frequency caps are counted under the live id, shared with the other half's journeys.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectorSet, EmailMessage } from '../../connectors/channels';
import { emptyState, type UserState } from '../../engine/state/behavior-state';
import { followMerges, type VersionedState } from '../../platform/stores/state-store';
import type { FrequencyCap } from '../../rules/schema/guardrails';
import { traitAt } from '../../test/support/unit-rules';
import { createActivities, type PerformStepInput } from './create-activities';
import { MemoryCapStore, type CapStore } from './frequency-caps';
import { MemorySendLedger } from './send-ledger';

const t0 = Date.parse('2025-05-01T12:00:00.000Z');
const onePerDay: FrequencyCap = { max: 1, per: '1d', policy: 'skip' };
const granted = (ok: boolean) => ({ email: { marketing: { granted: ok, at: t0 - 1000, source: 'identify' } } });

/** anon-1 was merged into alice: its state is a tombstone with stale traits and consent. */
function people(alice: Partial<UserState>, tombstone: Partial<UserState> = {}) {
  const states = new Map<string, UserState>([
    ['anon-1', { ...emptyState('anon-1'), mergedInto: 'alice', traits: { email: 'stale@example.com', plan: 'free' }, ...tombstone }],
    ['alice', { ...emptyState('alice'), absorbed: ['anon-1'], traits: { email: 'alice@example.com', plan: 'team' }, ...alice }],
  ]);
  const load = async (key: string): Promise<VersionedState> => ({ state: states.get(key) ?? emptyState(key), revision: states.has(key) ? 1 : 0 });
  return { loadUserState: async (key: string) => (await followMerges(key, load)).state };
}

function activitiesFor(loadUserState: (key: string) => Promise<UserState>) {
  const sent: EmailMessage[] = [];
  const reservedFor: string[] = [];
  const memory = new MemoryCapStore();
  const caps: CapStore = {
    reserve: (userId, ...rest) => {
      reservedFor.push(userId);
      return memory.reserve(userId, ...rest);
    },
  };
  const unused = async () => { throw new Error('not used in this test'); };
  const connectors = {
    email: { channel: 'email', provider: 'fake', send: async (message: EmailMessage) => (sent.push(message), { providerMessageId: `e${sent.length}` }) },
    sms: { channel: 'sms', provider: 'fake', send: unused },
    webhook: { channel: 'webhook', provider: 'fake', send: unused },
    coupon: { channel: 'coupon', provider: 'fake', issue: unused },
  } as unknown as ConnectorSet;
  const activities = createActivities({ connectors, ledger: new MemorySendLedger(), loadUserState, clock: () => t0, caps, consentMode: 'opt-in' });
  return { activities, sent, reservedFor };
}

const stepInput = (journeyId: string, userId: string): PerformStepInput => ({
  journeyId,
  userId,
  rule: { id: 'rule', version: 1 },
  step: { id: 'mail', type: 'email', subject: 'Hi', text: 'Hello' },
  trigger: { messageId: 'm1', event: 'page_viewed', timestamp: new Date(t0).toISOString(), properties: {} },
  traits: {},
  coupon: null,
  frequencyCap: onePerDay,
});

describe('activities of a journey whose person was merged away', () => {
  it('send with the live person\'s consent and address, and reserve the cap under the live id', async () => {
    const { activities, sent, reservedFor } = activitiesFor(people({ consent: granted(true) }).loadUserState);
    const result = await activities.performStep(stepInput('j-anon', 'anon-1'));
    expect(result).toMatchObject({ status: 'done', details: { to: 'alice@example.com' } });
    expect(sent.map((m) => m.to)).toEqual(['alice@example.com']);
    expect(reservedFor).toEqual(['alice']);
  });

  it('one cap for both halves: the live person\'s own journey finds the slot taken', async () => {
    const { activities, sent } = activitiesFor(people({ consent: granted(true) }).loadUserState);
    await activities.performStep(stepInput('j-anon', 'anon-1'));
    expect(await activities.performStep(stepInput('j-alice', 'alice'))).toMatchObject({ status: 'skipped', reason: 'frequency_cap' });
    expect(sent).toHaveLength(1);
  });

  it('the live person withdrew consent: skipped, though the tombstone still says granted', async () => {
    const { activities, sent, reservedFor } = activitiesFor(people({ consent: granted(false) }, { consent: granted(true) }).loadUserState);
    expect(await activities.performStep(stepInput('j-anon', 'anon-1'))).toMatchObject({ status: 'skipped', reason: 'no_consent' });
    expect(sent).toEqual([]);
    expect(reservedFor).toEqual([]);
  });

  it('conditions read the live person\'s traits', async () => {
    const { activities } = activitiesFor(people({}).loadUserState);
    const event = { messageId: 'm1', event: 'page_viewed', timestamp: new Date(t0).toISOString(), properties: {} };
    expect(await activities.evaluateJourneyConditions({ userId: 'anon-1', conditions: { all: [traitAt('$.plan', 'equal', 'team')] }, event })).toBe(true);
  });
});
