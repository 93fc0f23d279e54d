import { describe, expect, it } from 'vitest';
import { startTwilioFake } from './twilio.fake';
import { freePort } from '../../../dev/servers/process';
import { ConnectorConfigError, NonRetryableError, RetryAfterError } from '../../errors';
import { describeSmsConnector } from '../../testing/connector-suite';
import { RATE_LIMIT_RETRY_AFTER_SECONDS, rejectionOf, type InjectedFailure } from '../../testing/harness';
import { fromEnv, type TwilioConfigInput } from './twilio.config';
import { TwilioSmsConnector } from './twilio.connector';
import { rewriteTwilioUri } from './twilio.http-client';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';

async function startTwilioHarness(overrides: Partial<TwilioConfigInput> = {}) {
  const fake = await startTwilioFake();
  const config: TwilioConfigInput = { accountSid: ACCOUNT_SID, authToken: 'test-token', from: '+15005550006', apiBaseUrl: fake.url, ...overrides };
  const connector = new TwilioSmsConnector(config);
  const failures: Record<InjectedFailure, () => void> = {
    permanent: () => fake.failNext(400, 21610, 'Attempt to send to unsubscribed recipient'),
    transient: () => fake.failNext(503, 20503, 'Service unavailable'),
    rate_limited: () => fake.failNext(429, 20429, 'Too Many Requests', { retryAfterSeconds: RATE_LIMIT_RETRY_AFTER_SECONDS }),
    answer_lost: () => fake.dropNextAnswer(),
  };
  return {
    fake,
    connector,
    received: () => fake.messages().map((sms) => ({ ...sms, idempotencyMarker: sms.idempotencyKey })),
    idempotency: 'ledger_only' as const,
    failNext: (failure: InjectedFailure) => failures[failure](),
    connectorForDownServer: async () => new TwilioSmsConnector({ ...config, apiBaseUrl: `http://127.0.0.1:${await freePort()}` }),
    stop: () => fake.stop(),
  };
}

describeSmsConnector('twilio', () => startTwilioHarness());

describe('TwilioSmsConnector', () => {
  const message = { body: 'hi', idempotencyKey: 'j/s' };

  it.each([
    ['+1 (415) 555-0100', 'US', '+14155550100'],
    ['(415) 555-0100', 'US', '+14155550100'],
    ['020 7946 0018', 'GB', '+442079460018'],
  ])('normalises %s (default country %s) to %s before sending', async (to, defaultCountry, expected) => {
    const harness = await startTwilioHarness({ defaultCountry });
    try {
      await harness.connector.send({ ...message, to });
      expect(harness.fake.messages().map((m) => m.to)).toEqual([expected]);
    } finally {
      await harness.stop();
    }
  });

  it('authenticates with the account SID and auth token and returns the message SID', async () => {
    const harness = await startTwilioHarness();
    try {
      const result = await harness.connector.send({ ...message, to: '+14155550100' });
      const [sent] = harness.fake.messages();

      expect(sent!.auth).toEqual({ username: ACCOUNT_SID, password: 'test-token' });
      expect(sent!.accountSid).toBe(ACCOUNT_SID);
      expect(sent!.from).toBe('+15005550006');
      expect(result.providerMessageId).toBe(sent!.sid);
      expect(result.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    } finally {
      await harness.stop();
    }
  });

  it('names the refusal after the Twilio error code', async () => {
    const harness = await startTwilioHarness();
    try {
      harness.fake.failNext(400, 21408, 'Permission to send an SMS has not been enabled for the region');
      const error = await rejectionOf(harness.connector.send({ ...message, to: '+14155550100' }));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as NonRetryableError).reason).toBe('twilio_21408');
      expect((error as Error).message).toContain('not been enabled');
    } finally {
      await harness.stop();
    }
  });

  it('waits one second after a 429 without Retry-After', async () => {
    const harness = await startTwilioHarness();
    try {
      harness.fake.failNext(429, 20429, 'Too Many Requests');
      const error = await rejectionOf(harness.connector.send({ ...message, to: '+14155550100' }));

      expect(error).toBeInstanceOf(RetryAfterError);
      expect((error as RetryAfterError).retryAfterMs).toBe(1000);
    } finally {
      await harness.stop();
    }
  });
});

describe('rewriteTwilioUri', () => {
  const uri = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?PageSize=1`;

  it('sends Twilio hosts to the base URL, keeping path and query', () => {
    expect(rewriteTwilioUri(uri, 'http://127.0.0.1:9000')).toBe(`http://127.0.0.1:9000/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?PageSize=1`);
    expect(rewriteTwilioUri(uri, 'https://proxy.internal/twilio/')).toBe(
      `https://proxy.internal/twilio/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?PageSize=1`,
    );
    expect(rewriteTwilioUri('https://messaging.twilio.com/v1/Services', 'http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000/v1/Services');
  });

  it('leaves other hosts alone', () => {
    expect(rewriteTwilioUri('https://example.com/twilio.com', 'http://127.0.0.1:9000')).toBe('https://example.com/twilio.com');
    expect(rewriteTwilioUri('https://nottwilio.com/x', 'http://127.0.0.1:9000')).toBe('https://nottwilio.com/x');
  });
});

describe('Twilio config from the environment', () => {
  it('requires real credentials when talking to Twilio itself', () => {
    expect(() => fromEnv({})).toThrow(ConnectorConfigError);
    expect(() => fromEnv({})).toThrow(/TWILIO_ACCOUNT_SID.*TWILIO_AUTH_TOKEN.*TWILIO_FROM/);
  });

  it('uses placeholder credentials when TWILIO_API_BASE points elsewhere', () => {
    expect(fromEnv({ TWILIO_API_BASE: 'http://127.0.0.1:4010' })).toEqual({
      accountSid: 'AC00000000000000000000000000000000',
      authToken: 'nudge-dev-auth-token',
      from: '+15005550006',
      apiBaseUrl: 'http://127.0.0.1:4010',
      defaultCountry: 'US',
    });
  });

  it('reads every variable', () => {
    const config = fromEnv({
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM: '+442079460018',
      NUDGE_PHONE_REGION: 'gb',
    });
    expect(config).toEqual({ accountSid: ACCOUNT_SID, authToken: 'token', from: '+442079460018', defaultCountry: 'GB' });
  });

  it('reads recipients with the one phone region identity uses (NUDGE_PHONE_REGION); SMS_DEFAULT_COUNTRY is its deprecated name', () => {
    const base = { TWILIO_API_BASE: 'http://127.0.0.1:1' };
    expect(fromEnv({ ...base, NUDGE_PHONE_REGION: 'CN' }).defaultCountry).toBe('CN');
    expect(fromEnv({ ...base, SMS_DEFAULT_COUNTRY: 'cn' }).defaultCountry).toBe('CN');
    expect(() => fromEnv({ ...base, NUDGE_PHONE_REGION: 'CN', SMS_DEFAULT_COUNTRY: 'US' })).toThrow(/sms\/twilio.*NUDGE_PHONE_REGION=CN and SMS_DEFAULT_COUNTRY=US disagree/);
  });

  it.each([
    [{ TWILIO_API_BASE: 'not a url' }, 'TWILIO_API_BASE'],
    [{ TWILIO_API_BASE: 'http://127.0.0.1:1', TWILIO_ACCOUNT_SID: 'SK123' }, 'TWILIO_ACCOUNT_SID'],
    [{ TWILIO_API_BASE: 'http://127.0.0.1:1', TWILIO_FROM: '415-555-0100' }, 'TWILIO_FROM'],
    [{ TWILIO_API_BASE: 'http://127.0.0.1:1', NUDGE_PHONE_REGION: 'XX' }, 'NUDGE_PHONE_REGION'],
    [{ TWILIO_API_BASE: 'http://127.0.0.1:1', SMS_DEFAULT_COUNTRY: 'XX' }, 'SMS_DEFAULT_COUNTRY'],
  ])('names the bad variable: %o', (env, variable) => {
    expect(() => fromEnv(env)).toThrow(variable);
  });
});
