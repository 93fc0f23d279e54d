import { describe, expect, it } from 'vitest';
import { startSmtpCapture } from '../../../dev/capture/smtp-capture';
import { freePort } from '../../../dev/servers/process';
import { ConnectorConfigError, NonRetryableError } from '../../errors';
import { describeEmailConnector } from '../../testing/connector-suite';
import { rejectionOf, type InjectedFailure } from '../../testing/harness';
import { fromEnv } from './smtp.config';
import { messageIdFor, SmtpEmailConnector } from './smtp.connector';

async function startSmtpHarness() {
  const capture = await startSmtpCapture({ rejectRecipients: ['bounce@example.com'] });
  // Short enough that a lost answer (the capture never replies) times out quickly.
  const config = { host: capture.host, port: capture.port, from: 'nudge <nudge@example.test>', connectionTimeoutMs: 1000 };
  const connector = new SmtpEmailConnector(config);
  return {
    capture,
    connector,
    received: () => capture.messages().map((email) => ({ ...email, idempotencyMarker: email.messageId })),
    idempotency: 'forwarded' as const,
    rejectedRecipient: 'bounce@example.com',
    failNext: (failure: InjectedFailure) => {
      if (failure === 'answer_lost') return capture.hangNext();
      // SMTP has no "retry after" reply; a rate-limited server answers 4xx like any temporary refusal.
      capture.failNext(failure === 'permanent' ? 554 : 451);
    },
    connectorForDownServer: async () => new SmtpEmailConnector({ ...config, port: await freePort() }),
    stop: async () => {
      await connector.close();
      await capture.stop();
    },
  };
}

describeEmailConnector('smtp', startSmtpHarness);

describe('SmtpEmailConnector', () => {
  const message = { to: 'ada@example.com', subject: 'Hi', text: 'Hello', idempotencyKey: 'journey-7/step-2' };

  it('derives the Message-ID from the idempotency key, so a retried send carries the same id', async () => {
    const harness = await startSmtpHarness();
    try {
      const first = await harness.connector.send(message);
      const retry = await harness.connector.send(message);
      const other = await harness.connector.send({ ...message, idempotencyKey: 'journey-7/step-3' });

      expect(first.providerMessageId).toBe(messageIdFor('journey-7/step-2', 'example.test'));
      expect(retry.providerMessageId).toBe(first.providerMessageId);
      expect(other.providerMessageId).not.toBe(first.providerMessageId);
      expect(harness.capture.messages().map((m) => m.messageId)).toEqual([
        first.providerMessageId,
        first.providerMessageId,
        other.providerMessageId,
      ]);
      expect(harness.capture.messages()[0]!.from).toBe('nudge <nudge@example.test>');
    } finally {
      await harness.stop();
    }
  });

  it('names a refused message smtp_5xx and keeps the SMTP error as the cause', async () => {
    const harness = await startSmtpHarness();
    try {
      harness.capture.failNext(554, '5.7.1 spam detected');
      const error = await rejectionOf(harness.connector.send(message));

      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as NonRetryableError).reason).toBe('smtp_5xx');
      expect((error as NonRetryableError).message).toContain('spam detected');
      expect(((error as Error).cause as { responseCode?: number }).responseCode).toBe(554);
    } finally {
      await harness.stop();
    }
  });
});

describe('SMTP config from the environment', () => {
  it('defaults to the local capture server', () => {
    expect(fromEnv({})).toEqual({
      host: '127.0.0.1',
      port: 2525,
      secure: false,
      from: 'nudge <nudge@localhost>',
      connectionTimeoutMs: 10_000,
    });
  });

  it('reads every variable', () => {
    const config = fromEnv({
      SMTP_HOST: 'smtp.example.com',
      SMTP_PORT: '465',
      SMTP_SECURE: 'true',
      SMTP_USER: 'mailer',
      SMTP_PASS: 'secret',
      EMAIL_FROM: 'Shop <shop@example.com>',
      SMTP_TIMEOUT_MS: '5000',
    });
    expect(config).toEqual({
      host: 'smtp.example.com',
      port: 465,
      secure: true,
      user: 'mailer',
      pass: 'secret',
      from: 'Shop <shop@example.com>',
      connectionTimeoutMs: 5000,
    });
  });

  it.each([
    [{ SMTP_PORT: 'twenty-five' }, 'SMTP_PORT'],
    [{ SMTP_PORT: '70000' }, 'SMTP_PORT'],
    [{ SMTP_SECURE: 'maybe' }, 'SMTP_SECURE'],
    [{ EMAIL_FROM: 'nobody' }, 'EMAIL_FROM'],
    [{ SMTP_USER: 'mailer' }, 'SMTP_PASS'],
  ])('names the bad variable: %o', (env, variable) => {
    expect(() => fromEnv(env)).toThrow(ConnectorConfigError);
    expect(() => fromEnv(env)).toThrow(variable);
  });

  it('validates config passed to the constructor too', () => {
    expect(() => new SmtpEmailConnector({ host: '', port: 25, from: 'a@b.c' })).toThrow(/host/);
  });
});
