/** The contract of every EmailConnector, checked against the provider's local fake. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmailConnector, EmailMessage } from '../channels';
import { NonRetryableError, OutcomeUnknownError, RetryAfterError, TransientDeliveryError } from '../errors';
import { expectIdempotency, rejectionOf, type ChannelHarness } from './harness';

export interface ReceivedEmail {
  /** Envelope recipients, comma-separated. */
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** What the provider received that identifies the send (SMTP: the Message-ID derived from the key). */
  idempotencyMarker?: string;
}

export interface EmailHarness extends ChannelHarness<EmailConnector, ReceivedEmail> {
  /** An address the fake refuses permanently. */
  rejectedRecipient: string;
  /** The same provider configured for a server that is not listening. */
  connectorForDownServer(): Promise<EmailConnector>;
}

export function describeEmailConnector(name: string, setup: () => Promise<EmailHarness>): void {
  describe(`EmailConnector contract: ${name}`, () => {
    let harness: EmailHarness;
    beforeEach(async () => {
      harness = await setup();
    });
    afterEach(() => harness.stop());

    const message = (overrides: Partial<EmailMessage> = {}): EmailMessage => ({
      to: 'ada@example.com',
      subject: 'Your cart misses you',
      text: 'Come back for 10% off.',
      html: '<p>Come back for <b>10%</b> off.</p>',
      headers: { 'List-Unsubscribe': '<https://example.com/unsubscribe/ada>' },
      idempotencyKey: 'journey-1/step-welcome',
      ...overrides,
    });

    it('delivers one message with the given content and returns the provider message id', async () => {
      const result = await harness.connector.send(message());

      expect(result.providerMessageId).toEqual(expect.any(String));
      expect(result.providerMessageId).not.toBe('');
      const received = harness.received();
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ to: 'ada@example.com', subject: 'Your cart misses you' });
      expect(received[0]!.text.trim()).toBe('Come back for 10% off.');
      expect(received[0]!.html).toContain('<b>10%</b>');
      expect(received[0]!.headers['list-unsubscribe']).toBe('<https://example.com/unsubscribe/ada>');
    });

    it('rejects a refused recipient as non-retryable (rejected_address)', async () => {
      const error = await rejectionOf(harness.connector.send(message({ to: harness.rejectedRecipient })));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as NonRetryableError).reason).toBe('rejected_address');
      expect(harness.received()).toHaveLength(0);
    });

    it('rejects a malformed address as non-retryable', async () => {
      const error = await rejectionOf(harness.connector.send(message({ to: 'not an address' })));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect(harness.received()).toHaveLength(0);
    });

    it('reports a permanent refusal as non-retryable', async () => {
      harness.failNext('permanent');
      const error = await rejectionOf(harness.connector.send(message()));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect(harness.received()).toHaveLength(0);
    });

    it('reports a temporary refusal as transient', async () => {
      harness.failNext('transient');
      const error = await rejectionOf(harness.connector.send(message()));

      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect((error as Error).cause).toBeDefined();
    });

    it('identifies a repeated step to the provider the same way, another step differently', async () => {
      await harness.connector.send(message({ idempotencyKey: 'journey-1/step-a' }));
      await harness.connector.send(message({ idempotencyKey: 'journey-1/step-a' }));
      await harness.connector.send(message({ idempotencyKey: 'journey-1/step-b' }));

      expectIdempotency(harness.idempotency, harness.received().map((email) => email.idempotencyMarker));
    });

    it('reports a lost answer as outcome-unknown: the server may hold the message, so it is not retried', async () => {
      harness.failNext('answer_lost');
      const error = await rejectionOf(harness.connector.send(message()));

      expect(error).toBeInstanceOf(OutcomeUnknownError);
      expect(harness.received()).toHaveLength(1);
    });

    it('reports an unreachable server as transient', async () => {
      const down = await harness.connectorForDownServer();
      try {
        const error = await rejectionOf(down.send(message()));
        expect(error).toBeInstanceOf(TransientDeliveryError);
        expect(error).not.toBeInstanceOf(RetryAfterError);
      } finally {
        await down.close?.();
      }
    });
  });
}
