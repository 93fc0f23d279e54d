/**
 * Frequency caps count across all rules: a rule's cap counts every marketing send on its channel to the
 * person, also those of rules that declare no cap (or turn the global one off). A retried send activity
 * is counted once — the cap record is keyed by the send ledger's identity, (journey, step). Transactional
 * messages are neither capped nor counted.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectorSet, SmsMessage } from '../../connectors/channels';
import { emptyState } from '../../engine/state/behavior-state';
import type { FrequencyCap } from '../../rules/schema/guardrails';
import { createActivities, type PerformStepInput } from './create-activities';
import { MemoryCapStore } from './frequency-caps';
import { MemorySendLedger } from './send-ledger';

const t0 = Date.parse('2025-05-01T12:00:00.000Z');
const onePerDay: FrequencyCap = { max: 1, per: '1d', policy: 'skip' };
const twoPerDay: FrequencyCap = { max: 2, per: '1d', policy: 'skip' };

function activities() {
  const sent: SmsMessage[] = [];
  const unused = async () => { throw new Error('not used in this test'); };
  const connectors = {
    email: { channel: 'email', provider: 'fake', send: unused },
    sms: { channel: 'sms', provider: 'fake', send: async (message: SmsMessage) => (sent.push(message), { providerMessageId: `s${sent.length}` }) },
    webhook: { channel: 'webhook', provider: 'fake', send: unused },
    coupon: { channel: 'coupon', provider: 'fake', issue: unused },
  } as unknown as ConnectorSet;
  const state = { ...emptyState('ann'), traits: { phone: '+14155550100' } };
  const created = createActivities({ connectors, ledger: new MemorySendLedger(), loadUserState: async () => state, clock: () => t0, caps: new MemoryCapStore(), consentMode: 'opt-out' });
  return { performStep: created.performStep, sent };
}

const smsStep = (journeyId: string, options: { cap?: FrequencyCap; transactional?: boolean } = {}): PerformStepInput => ({
  journeyId,
  userId: 'ann',
  rule: { id: journeyId.split('/')[1] ?? 'rule', version: 1 },
  step: { id: 'text', type: 'sms', body: `from ${journeyId}`, ...(options.transactional ? { transactional: true } : {}) },
  trigger: { messageId: 'm1', event: 'page_viewed', timestamp: new Date(t0).toISOString(), properties: {} },
  traits: {},
  coupon: null,
  ...(options.cap ? { frequencyCap: options.cap } : {}),
});

describe('frequency caps across all rules', () => {
  it('an SMS of a rule without a cap uses up the slot of a rule with one', async () => {
    const { performStep, sent } = activities();
    expect(await performStep(smsStep('journey/newsletter/ann/m1'))).toMatchObject({ status: 'done' });
    expect(await performStep(smsStep('journey/promo/ann/m2', { cap: onePerDay }))).toEqual({ status: 'skipped', reason: 'frequency_cap', detail: 'at most 1 sms per 1d' });
    expect(sent.map((m) => m.body)).toEqual(['from journey/newsletter/ann/m1']);
  });

  it('a retried activity of an uncapped send is counted once', async () => {
    const { performStep, sent } = activities();
    await performStep(smsStep('journey/newsletter/ann/m1'));
    await performStep(smsStep('journey/newsletter/ann/m1')); // Temporal retries the activity: the ledger answers
    expect(await performStep(smsStep('journey/promo/ann/m2', { cap: twoPerDay }))).toMatchObject({ status: 'done' });
    expect(await performStep(smsStep('journey/promo-2/ann/m3', { cap: twoPerDay }))).toMatchObject({ status: 'skipped', reason: 'frequency_cap' });
    expect(sent).toHaveLength(2);
  });

  it('a transactional SMS is neither capped nor counted', async () => {
    const { performStep, sent } = activities();
    await performStep(smsStep('journey/promo/ann/m1', { cap: onePerDay }));
    expect(await performStep(smsStep('journey/receipt/ann/m2', { cap: onePerDay, transactional: true }))).toMatchObject({ status: 'done' });
    const fresh = activities();
    await fresh.performStep(smsStep('journey/receipt/ann/m2', { transactional: true }));
    expect(await fresh.performStep(smsStep('journey/promo/ann/m3', { cap: onePerDay }))).toMatchObject({ status: 'done' });
    expect(sent).toHaveLength(2);
  });
});
