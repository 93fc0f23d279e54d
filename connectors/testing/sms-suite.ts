/** The contract of every SmsConnector, checked against the provider's local fake. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SmsConnector, SmsMessage } from '../channels';
import { NonRetryableError, OutcomeUnknownError, RetryAfterError, TransientDeliveryError } from '../errors';
import { expectIdempotency, RATE_LIMIT_RETRY_AFTER_SECONDS, rejectionOf, type ChannelHarness } from './harness';

export interface ReceivedSms {
  /** Recipient as the provider received it (E.164). */
  to: string;
  body: string;
  /** The idempotency key as the provider received it (e.g. an Idempotency-Key header); undefined when it takes none. */
  idempotencyMarker?: string;
}

export interface SmsHarness extends ChannelHarness<SmsConnector, ReceivedSms> {
  /** The same provider configured for a server that is not listening. */
  connectorForDownServer(): Promise<SmsConnector>;
}

export function describeSmsConnector(name: string, setup: () => Promise<SmsHarness>): void {
  describe(`SmsConnector contract: ${name}`, () => {
    let harness: SmsHarness;
    beforeEach(async () => {
      harness = await setup();
    });
    afterEach(() => harness.stop());

    const message = (overrides: Partial<SmsMessage> = {}): SmsMessage => ({
      to: '+14155550100',
      body: 'Your code SAVE10 expires tonight.',
      idempotencyKey: 'journey-1/step-sms',
      ...overrides,
    });

    it('delivers one message with the given content and returns the provider message id', async () => {
      const result = await harness.connector.send(message());

      expect(result.providerMessageId).toEqual(expect.any(String));
      expect(result.providerMessageId).not.toBe('');
      expect(harness.received()).toEqual([expect.objectContaining({ to: '+14155550100', body: 'Your code SAVE10 expires tonight.' })]);
    });

    it('normalises the recipient to E.164 and returns the number it sent to', async () => {
      const result = await harness.connector.send(message({ to: '+1 (415) 555-0100' }));

      expect(result.to).toBe('+14155550100');
      expect(harness.received()).toEqual([expect.objectContaining({ to: '+14155550100' })]);
    });

    it('rejects an invalid phone number as non-retryable (invalid_phone) without calling the provider', async () => {
      const error = await rejectionOf(harness.connector.send(message({ to: '12' })));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as NonRetryableError).reason).toBe('invalid_phone');
      expect(harness.received()).toHaveLength(0);
    });

    it('reports a permanent refusal as non-retryable', async () => {
      harness.failNext('permanent');
      const error = await rejectionOf(harness.connector.send(message()));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect(harness.received()).toHaveLength(0);
    });

    it('reports a provider error as transient', async () => {
      harness.failNext('transient');
      const error = await rejectionOf(harness.connector.send(message()));

      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect((error as Error).cause).toBeDefined();
    });

    it('reports rate limiting as retry-after with the provider delay', async () => {
      harness.failNext('rate_limited');
      const error = await rejectionOf(harness.connector.send(message()));

      expect(error).toBeInstanceOf(RetryAfterError);
      expect((error as RetryAfterError).retryAfterMs).toBe(RATE_LIMIT_RETRY_AFTER_SECONDS * 1000);
    });

    it('passes the idempotency key to the provider when its API takes one', async () => {
      await harness.connector.send(message({ idempotencyKey: 'journey-1/step-a' }));
      await harness.connector.send(message({ idempotencyKey: 'journey-1/step-a' }));
      await harness.connector.send(message({ idempotencyKey: 'journey-1/step-b' }));

      expectIdempotency(harness.idempotency, harness.received().map((sms) => sms.idempotencyMarker));
    });

    it('reports a lost answer as outcome-unknown: the provider may hold the message, so it is not retried', async () => {
      harness.failNext('answer_lost');
      const error = await rejectionOf(harness.connector.send(message()));

      expect(error).toBeInstanceOf(OutcomeUnknownError);
      expect(error).not.toBeInstanceOf(TransientDeliveryError);
      expect(harness.received()).toHaveLength(1);
    });

    it('reports an unreachable server as transient', async () => {
      const down = await harness.connectorForDownServer();
      try {
        expect(await rejectionOf(down.send(message()))).toBeInstanceOf(TransientDeliveryError);
      } finally {
        await down.close?.();
      }
    });
  });
}
