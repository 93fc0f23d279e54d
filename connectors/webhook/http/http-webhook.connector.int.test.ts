import { describe, expect, it } from 'vitest';
import { startWebhookCapture } from '../../../dev/capture/webhook-capture';
import { freePort } from '../../../dev/servers/process';
import { ConnectorConfigError, NonRetryableError, OutcomeUnknownError } from '../../errors';
import { describeWebhookConnector } from '../../testing/connector-suite';
import { RATE_LIMIT_RETRY_AFTER_SECONDS, rejectionOf, type InjectedFailure } from '../../testing/harness';
import { fromEnv } from './http-webhook.config';
import { verifyPayloadSignature } from '../../../shared/payload-signature';
import { HttpWebhookConnector } from './http-webhook.connector';

const SECRET = 'test-signing-secret-0123456789';

async function startWebhookHarness(timeoutMs = 2000) {
  const capture = await startWebhookCapture();
  const connector = new HttpWebhookConnector({ signingSecret: SECRET, timeoutMs });
  const plans: Record<InjectedFailure, () => void> = {
    permanent: () => capture.respondNext({ status: 422 }),
    transient: () => capture.respondNext({ status: 502 }),
    rate_limited: () => capture.respondNext({ status: 429, retryAfterSeconds: RATE_LIMIT_RETRY_AFTER_SECONDS }),
    answer_lost: () => capture.respondNext({ status: 200, hangUp: true }),
  };
  return {
    capture,
    connector,
    targetUrl: `${capture.url}/hooks/nudge`,
    unreachableUrl: `http://127.0.0.1:${await freePort()}/hooks/nudge`,
    received: () => capture.requests(),
    idempotency: 'forwarded' as const,
    failNext: (failure: InjectedFailure) => plans[failure](),
    stop: () => capture.stop(),
  };
}

describeWebhookConnector('http', () => startWebhookHarness());

describe('HttpWebhookConnector', () => {
  const payload = { event: 'order_placed', total: 42 };

  it('signs timestamp and body so the receiver can verify them', async () => {
    const harness = await startWebhookHarness();
    try {
      await harness.connector.send({ url: harness.targetUrl, payload, idempotencyKey: 'j-1/s-1' });
      const [received] = harness.capture.requests();
      const timestamp = received!.headers['x-nudge-timestamp']!;
      const signature = received!.headers['x-nudge-signature']!;

      expect(received!.headers['content-type']).toBe('application/json');
      expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
      expect(verifyPayloadSignature(SECRET, timestamp, received!.body, signature, 300)).toBe(true);
      expect(verifyPayloadSignature(SECRET, timestamp, received!.body.replace('42', '43'), signature, 300)).toBe(false);
      expect(verifyPayloadSignature('another-secret-0123456789', timestamp, received!.body, signature, 300)).toBe(false);
    } finally {
      await harness.stop();
    }
  });

  it('returns the x-request-id the receiver answered with', async () => {
    const harness = await startWebhookHarness();
    try {
      const result = await harness.connector.send({ url: harness.targetUrl, payload, idempotencyKey: 'j-1/s-1' });

      expect(result.providerMessageId).toBe(harness.capture.requests()[0]!.requestId);
    } finally {
      await harness.stop();
    }
  });

  it('names a 4xx refusal after its status', async () => {
    const harness = await startWebhookHarness();
    try {
      harness.capture.respondNext({ status: 410 });
      const error = await rejectionOf(harness.connector.send({ url: harness.targetUrl, payload, idempotencyKey: 'k' }));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as NonRetryableError).reason).toBe('http_410');
    } finally {
      await harness.stop();
    }
  });

  it('gives up after the timeout as outcome-unknown: the receiver may be processing it', async () => {
    const harness = await startWebhookHarness(100);
    try {
      harness.capture.respondNext({ status: 200, delayMs: 1000 });
      const error = await rejectionOf(harness.connector.send({ url: harness.targetUrl, payload, idempotencyKey: 'k' }));

      expect(error).toBeInstanceOf(OutcomeUnknownError);
      expect((error as Error).message).toContain('timeout 100 ms');
      expect((error as Error).message).toContain('timed out');
    } finally {
      await harness.stop();
    }
  });
});

describe('HTTP webhook config from the environment', () => {
  it('has development defaults', () => {
    expect(fromEnv({})).toEqual({ signingSecret: 'nudge-dev-webhook-secret-change-me', timeoutMs: 10_000 });
  });

  it('reads every variable', () => {
    expect(fromEnv({ WEBHOOK_SECRET: SECRET, WEBHOOK_TIMEOUT_MS: '2500' })).toEqual({ signingSecret: SECRET, timeoutMs: 2500 });
  });

  it.each([
    [{ WEBHOOK_SECRET: 'short' }, 'WEBHOOK_SECRET'],
    [{ WEBHOOK_TIMEOUT_MS: '-1' }, 'WEBHOOK_TIMEOUT_MS'],
    [{ WEBHOOK_TIMEOUT_MS: 'soon' }, 'WEBHOOK_TIMEOUT_MS'],
  ])('names the bad variable: %o', (env, variable) => {
    expect(() => fromEnv(env)).toThrow(ConnectorConfigError);
    expect(() => fromEnv(env)).toThrow(variable);
  });
});
