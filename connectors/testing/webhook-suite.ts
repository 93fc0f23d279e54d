/** The contract of every WebhookConnector, checked against a local receiver. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookConnector, WebhookRequest } from '../channels';
import { NonRetryableError, OutcomeUnknownError, RetryAfterError, TransientDeliveryError } from '../errors';
import { expectIdempotency, RATE_LIMIT_RETRY_AFTER_SECONDS, rejectionOf, type ChannelHarness } from './harness';

export interface ReceivedWebhook {
  /** The body parsed as JSON. */
  json: unknown;
  /** Header names in lower case. */
  headers: Record<string, string>;
}

export interface WebhookHarness extends ChannelHarness<WebhookConnector, ReceivedWebhook> {
  /** Where the local receiver listens. */
  targetUrl: string;
  /** A URL on which nothing listens. */
  unreachableUrl: string;
}

export function describeWebhookConnector(name: string, setup: () => Promise<WebhookHarness>): void {
  describe(`WebhookConnector contract: ${name}`, () => {
    let harness: WebhookHarness;
    beforeEach(async () => {
      harness = await setup();
    });
    afterEach(() => harness.stop());

    const request = (overrides: Partial<WebhookRequest> = {}): WebhookRequest => ({
      url: harness.targetUrl,
      payload: { event: 'cart_abandoned', userId: 'u-1', items: [{ sku: 'A1', qty: 2 }] },
      idempotencyKey: 'journey-1/step-webhook',
      ...overrides,
    });

    it('delivers the payload once, with its idempotency key, and returns status and message id', async () => {
      const result = await harness.connector.send(request());

      expect(result.status).toBe(200);
      expect(result.providerMessageId).toEqual(expect.any(String));
      expect(result.providerMessageId).not.toBe('');
      const received = harness.received();
      expect(received).toHaveLength(1);
      expect(received[0]!.json).toEqual({ event: 'cart_abandoned', userId: 'u-1', items: [{ sku: 'A1', qty: 2 }] });
      expect(received[0]!.headers['idempotency-key']).toBe('journey-1/step-webhook');
    });

    it('rejects a URL that is not http(s) as non-retryable', async () => {
      const error = await rejectionOf(harness.connector.send(request({ url: 'ftp://example.com/hook' })));

      expect(error).toBeInstanceOf(NonRetryableError);
    });

    it('reports a 4xx answer as non-retryable', async () => {
      harness.failNext('permanent');
      const error = await rejectionOf(harness.connector.send(request()));

      expect(error).toBeInstanceOf(NonRetryableError);
    });

    it('reports a 5xx answer as transient', async () => {
      harness.failNext('transient');
      expect(await rejectionOf(harness.connector.send(request()))).toBeInstanceOf(TransientDeliveryError);
    });

    it('reports a 429 as retry-after with the receiver delay', async () => {
      harness.failNext('rate_limited');
      const error = await rejectionOf(harness.connector.send(request()));

      expect(error).toBeInstanceOf(RetryAfterError);
      expect((error as RetryAfterError).retryAfterMs).toBe(RATE_LIMIT_RETRY_AFTER_SECONDS * 1000);
    });

    it('sends the same Idempotency-Key for a repeated step and another for another step', async () => {
      await harness.connector.send(request({ idempotencyKey: 'journey-1/step-a' }));
      await harness.connector.send(request({ idempotencyKey: 'journey-1/step-a' }));
      await harness.connector.send(request({ idempotencyKey: 'journey-1/step-b' }));

      expectIdempotency(harness.idempotency, harness.received().map((webhook) => webhook.headers['idempotency-key']));
    });

    it('reports a lost answer as outcome-unknown: the receiver may have it, so it is not retried', async () => {
      harness.failNext('answer_lost');
      const error = await rejectionOf(harness.connector.send(request()));

      expect(error).toBeInstanceOf(OutcomeUnknownError);
      expect(harness.received()).toHaveLength(1);
    });

    it('reports an unreachable receiver as transient', async () => {
      const error = await rejectionOf(harness.connector.send(request({ url: harness.unreachableUrl })));

      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect((error as Error).cause).toBeDefined();
    });
  });
}
