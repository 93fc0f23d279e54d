import { describe, expect, it } from 'vitest';
import { freePort } from '../../../dev/servers/process';
import { ConnectorConfigError, NonRetryableError } from '../../errors';
import { describeSmsConnector } from '../../testing/connector-suite';
import { RATE_LIMIT_RETRY_AFTER_SECONDS, rejectionOf, type InjectedFailure } from '../../testing/harness';
import { fromEnv, type HttpSmsConfigInput } from './http-sms.config';
import { HttpSmsConnector } from './http-sms.connector';
import { startHttpSmsFake } from './http-sms.fake';

const TOKEN = 'sms-api-test-token';

async function startHttpSmsHarness(overrides: Partial<HttpSmsConfigInput> = {}) {
  const fake = await startHttpSmsFake({ token: TOKEN });
  const config: HttpSmsConfigInput = { apiUrl: fake.apiUrl, token: TOKEN, from: '+15005550006', timeoutMs: 2000, ...overrides };
  const connector = new HttpSmsConnector(config);
  const failures: Record<InjectedFailure, () => void> = {
    permanent: () => fake.failNext(422, 'recipient has opted out'),
    transient: () => fake.failNext(503, 'upstream carrier unavailable'),
    rate_limited: () => fake.failNext(429, 'slow down', { retryAfterSeconds: RATE_LIMIT_RETRY_AFTER_SECONDS }),
    answer_lost: () => fake.dropNextAnswer(),
  };
  return {
    fake,
    connector,
    received: () => fake.messages().map((sms) => ({ ...sms, idempotencyMarker: sms.idempotencyKey })),
    idempotency: 'forwarded' as const,
    failNext: (failure: InjectedFailure) => failures[failure](),
    connectorForDownServer: async () => new HttpSmsConnector({ ...config, apiUrl: `http://127.0.0.1:${await freePort()}/v1/messages` }),
    stop: () => fake.stop(),
  };
}

describeSmsConnector('http', () => startHttpSmsHarness());

describe('HttpSmsConnector', () => {
  const message = { to: '+14155550100', body: 'hi', idempotencyKey: 'journey-1/step-sms' };

  it('POSTs {to, from, body} with the bearer token and the idempotency key, and returns the API id', async () => {
    const harness = await startHttpSmsHarness();
    try {
      const result = await harness.connector.send(message);
      const [sent] = harness.fake.messages();

      expect(sent).toMatchObject({ to: '+14155550100', from: '+15005550006', body: 'hi', idempotencyKey: 'journey-1/step-sms' });
      expect(sent!.reference).toBeUndefined();
      expect(result).toEqual({ providerMessageId: sent!.id, to: '+14155550100' });

      await harness.connector.send({ ...message, deliveryRef: 'signed.ref' });
      expect(harness.fake.messages()[1]).toMatchObject({ reference: 'signed.ref' }); // echoed in its status reports
    } finally {
      await harness.stop();
    }
  });

  it("names a refusal after its status and quotes the API's message", async () => {
    const harness = await startHttpSmsHarness({ token: 'wrong-token' });
    try {
      const error = await rejectionOf(harness.connector.send(message));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as NonRetryableError).reason).toBe('http_401');
      expect((error as Error).message).toContain('invalid bearer token');
    } finally {
      await harness.stop();
    }
  });
});

describe('HTTP SMS config from the environment', () => {
  const env = { SMS_HTTP_URL: 'https://sms.example.com/v1/messages', SMS_HTTP_TOKEN: 'tok', SMS_HTTP_FROM: '+15005550006' };

  it('reads every variable', () => {
    expect(fromEnv({ ...env, SMS_HTTP_TIMEOUT_MS: '2500', NUDGE_PHONE_REGION: 'gb' })).toEqual({
      apiUrl: 'https://sms.example.com/v1/messages',
      token: 'tok',
      from: '+15005550006',
      timeoutMs: 2500,
      defaultCountry: 'GB',
    });
  });

  it.each([
    [{ SMS_HTTP_URL: undefined }, 'SMS_HTTP_URL'],
    [{ SMS_HTTP_URL: 'ftp://sms.example.com' }, 'SMS_HTTP_URL'],
    [{ SMS_HTTP_TOKEN: ' ' }, 'SMS_HTTP_TOKEN'],
    [{ SMS_HTTP_FROM: '555-0100' }, 'SMS_HTTP_FROM'],
    [{ SMS_HTTP_TIMEOUT_MS: 'soon' }, 'SMS_HTTP_TIMEOUT_MS'],
    [{ NUDGE_PHONE_REGION: 'XX' }, 'NUDGE_PHONE_REGION'],
  ])('names the bad variable: %o', (overrides, variable) => {
    expect(() => fromEnv({ ...env, ...overrides })).toThrow(ConnectorConfigError);
    expect(() => fromEnv({ ...env, ...overrides })).toThrow(variable);
  });
});
