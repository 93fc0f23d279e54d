/**
 * Every kind of delivery error a connector may throw, and what it becomes: the table is keyed by
 * DeliveryFailureKind, so a kind added to connectors/errors.ts does not compile here until it has a
 * row (and connectorFailure's switch does not compile until it maps it).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { ConnectorSet } from '../../connectors/channels';
import { NonRetryableError, OutcomeUnknownError, RetryAfterError, TransientDeliveryError, type DeliveryFailure, type DeliveryFailureKind } from '../../connectors/errors';
import { emptyState } from '../../engine/state/behavior-state';
import { connectorFailure, type ClaimAfterFailure } from './connector-failure';
import { createActivities, type PerformStepInput } from './create-activities';
import { MemoryCapStore } from './frequency-caps';
import { MemorySendLedger } from './send-ledger';

interface Expected {
  error: DeliveryFailure;
  type: string;
  nonRetryable: boolean;
  nextRetryDelay?: number;
  claim: ClaimAfterFailure['kind'];
}

const everyKind: Record<DeliveryFailureKind, Expected> = {
  non_retryable: { error: new NonRetryableError('not a mobile number', 'invalid_phone'), type: 'invalid_phone', nonRetryable: true, claim: 'failed' },
  retry_after: { error: new RetryAfterError('429', 30_000), type: 'rate_limited', nonRetryable: false, nextRetryDelay: 30_000, claim: 'released' },
  transient: { error: new TransientDeliveryError('503'), type: 'provider_unavailable', nonRetryable: false, claim: 'released' },
  outcome_unknown: { error: new OutcomeUnknownError('socket reset after the request was sent'), type: 'outcome_unknown', nonRetryable: true, claim: 'unknown' },
};

describe('connectorFailure', () => {
  it.each(Object.entries(everyKind))('%s', (kind, expected) => {
    expect(expected.error.kind).toBe(kind);
    const { failure, claim } = connectorFailure(expected.error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect({ type: failure.type, nonRetryable: failure.nonRetryable, claim: claim.kind }).toEqual({ type: expected.type, nonRetryable: expected.nonRetryable, claim: expected.claim });
    if (expected.nextRetryDelay !== undefined) expect(failure.nextRetryDelay).toBe(expected.nextRetryDelay);
    expect(failure.cause).toBe(expected.error);
  });

  it('keeps the reason of a refusal for the ledger', () => {
    expect(connectorFailure(everyKind.non_retryable.error).claim).toEqual({ kind: 'failed', reason: 'invalid_phone' });
  });

  it('an untyped error is retryable, named by its class, and leaves the claim pending', () => {
    const { failure, claim } = connectorFailure(new TypeError('cannot read x'));
    expect({ type: failure.type, nonRetryable: failure.nonRetryable, message: failure.message, claim }).toEqual({ type: 'TypeError', nonRetryable: false, message: 'cannot read x', claim: { kind: 'pending' } });
  });
});

describe('the coupon step uses the same mapping as sends', () => {
  const step = { id: 'code', type: 'coupon' } as const;
  const input: PerformStepInput = { journeyId: 'j1', userId: 'u1', rule: { id: 'r', version: 1 }, step, trigger: { messageId: 'm', event: 'e', timestamp: new Date(0).toISOString(), properties: {} }, traits: {}, coupon: null };

  it.each(Object.entries(everyKind))('%s', async (_kind, expected) => {
    const connectors = { coupon: { channel: 'coupon', provider: 'failing', issue: async () => { throw expected.error; } } } as unknown as ConnectorSet;
    const activities = createActivities({ connectors, ledger: new MemorySendLedger(), loadUserState: async (key) => emptyState(key), clock: () => 0, caps: new MemoryCapStore(), consentMode: 'opt-in' });
    const thrown = await activities.performStep(input).then(() => null, (error: unknown) => error);
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    expect({ type: (thrown as ApplicationFailure).type, nonRetryable: (thrown as ApplicationFailure).nonRetryable }).toEqual({ type: expected.type, nonRetryable: expected.nonRetryable });
  });
});

describe('a send: the claim in the send ledger after each kind', () => {
  const ledgerStatus: Record<ClaimAfterFailure['kind'], string | null> = { failed: 'failed', released: null, unknown: 'unknown', pending: 'pending' };
  const step = { id: 'text', type: 'sms', body: 'hi', to: '+14155550100' } as const;
  const input: PerformStepInput = { journeyId: 'j1', userId: 'u1', rule: { id: 'r', version: 1 }, step, trigger: { messageId: 'm', event: 'e', timestamp: new Date(0).toISOString(), properties: {} }, traits: {}, coupon: null };

  it.each([...Object.entries(everyKind), ['untyped', { error: new Error('boom'), type: 'Error', nonRetryable: false, claim: 'pending' } as const] as const])('%s', async (_kind, expected) => {
    const ledger = new MemorySendLedger();
    const connectors = { sms: { channel: 'sms', provider: 'failing', send: async () => { throw expected.error; } } } as unknown as ConnectorSet;
    const activities = createActivities({ connectors, ledger, loadUserState: async (key) => emptyState(key), clock: () => 0, caps: new MemoryCapStore(), consentMode: 'opt-out' });
    const thrown = await activities.performStep(input).then(() => null, (error: unknown) => error);
    expect((thrown as ApplicationFailure).type).toBe(expected.type);
    expect((await ledger.get('j1', 'text'))?.record.status ?? null).toBe(ledgerStatus[expected.claim]);
  });
});
