import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCapture, type SmtpCapture } from '../dev/capture/smtp-capture';
import { startTwilioFake, type TwilioFake } from './sms/twilio/twilio.fake';
import { startWebhookCapture, type WebhookCapture } from '../dev/capture/webhook-capture';
import { startNats, type NatsServerHandle } from '../dev/servers/nats';
import { ConnectorConfigError } from './errors';
import { closeConnectors, createConnectorsFromEnv, providers, providerSelection } from './registry';

let nats: NatsServerHandle;
let nc: NatsConnection;
let smtp: SmtpCapture;
let twilio: TwilioFake;
let webhooks: WebhookCapture;
let env: Record<string, string>;

beforeAll(async () => {
  [nats, smtp, twilio, webhooks] = await Promise.all([startNats(), startSmtpCapture(), startTwilioFake(), startWebhookCapture()]);
  nc = await connect({ servers: nats.url });
  const poolsDir = mkdtempSync(join(tmpdir(), 'nudge-registry-coupons-'));
  writeFileSync(join(poolsDir, 'welcome.txt'), 'WELCOME-1\n');
  env = {
    SMTP_PORT: String(smtp.port),
    TWILIO_API_BASE: twilio.url,
    COUPON_POOLS_DIR: poolsDir,
    COUPON_BUCKET: `registry_test_${process.pid}`,
  };
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await Promise.all([nats?.stop(), smtp?.stop(), twilio?.stop(), webhooks?.stop()]);
});

describe('createConnectorsFromEnv', () => {
  it('builds the default provider of every channel, wired to the configured endpoints', async () => {
    const connectors = await createConnectorsFromEnv(env, { nc });
    try {
      const defaults = Object.fromEntries(Object.entries(providerSelection).map(([channel, { defaultProvider }]) => [channel, defaultProvider]));
      expect(Object.fromEntries(Object.entries(connectors).map(([channel, c]) => [channel, c.provider]))).toEqual(defaults);

      await connectors.email.send({ to: 'ada@example.com', subject: 'Hi', text: 'Hello', idempotencyKey: 'j/1' });
      await connectors.sms.send({ to: '+14155550100', body: 'Hi', idempotencyKey: 'j/2' });
      await connectors.webhook.send({ url: webhooks.url, payload: { hi: true }, idempotencyKey: 'j/3' });
      const coupon = await connectors.coupon.issue({ journeyId: 'j', stepId: '4', pool: 'welcome' });

      expect(smtp.messages()).toHaveLength(1);
      expect(twilio.messages()).toHaveLength(1);
      expect(webhooks.requests()).toHaveLength(1);
      expect(coupon).toEqual({ code: 'WELCOME-1', source: 'welcome' });
    } finally {
      await closeConnectors(connectors);
    }
  });

  it('rejects an unknown provider, listing the known ones', async () => {
    const error = await createConnectorsFromEnv({ ...env, SMS_PROVIDER: 'carrier-pigeon' }, { nc }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectorConfigError);
    expect((error as Error).message).toContain(`SMS_PROVIDER="carrier-pigeon" is not a known provider (known: ${Object.keys(providers.sms).join(', ')})`);
  });

  it('does not mistake inherited object keys for providers', async () => {
    await expect(createConnectorsFromEnv({ ...env, EMAIL_PROVIDER: 'toString' }, { nc })).rejects.toThrow(`known: ${Object.keys(providers.email).join(', ')}`);
  });

  it('fails at startup, naming the variable, when a provider is misconfigured', async () => {
    await expect(createConnectorsFromEnv({ ...env, WEBHOOK_SECRET: 'short' }, { nc })).rejects.toThrow(/WEBHOOK_SECRET/);
  });
});
