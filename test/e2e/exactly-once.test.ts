/**
 * Exactly-once sends through the send ledger (NATS KV) with the real SMTP connector and a local SMTP
 * capture: a retried activity never sends twice, an attempt that died after the provider call is
 * reported as `outcome_unknown` instead of being re-sent, a transient failure is retried once safely.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorSet, EmailConnector } from '../../connectors/channels';
import { SmtpEmailConnector } from '../../connectors/email/smtp/smtp.connector';
import { startSmtpCapture, type SmtpCapture } from '../../dev/capture/smtp-capture';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { openBucket, SENDS_BUCKET } from '../../platform/nats/setup';
import { emptyState } from '../../engine/state/behavior-state';
import { createActivities, type PerformStepInput } from '../../workflows/activities/create-activities';
import { MemoryCapStore } from '../../workflows/activities/frequency-caps';
import { SendLedger } from '../../workflows/activities/send-ledger';

let nats: NatsServerHandle;
let nc: NatsConnection;
let smtp: SmtpCapture;
let ledger: SendLedger;
let email: SmtpEmailConnector;

beforeAll(async () => {
  [nats, smtp] = await Promise.all([startNats(), startSmtpCapture({ rejectRecipients: ['bounce@example.com'] })]);
  nc = await connect({ servers: nats.url });
  ledger = new SendLedger(await openBucket(nc, SENDS_BUCKET));
  email = new SmtpEmailConnector({ host: '127.0.0.1', port: smtp.port, secure: false, from: 'nudge <nudge@example.com>' });
});
afterAll(async () => {
  await email?.close();
  await nc?.close();
  await Promise.all([nats?.stop(), smtp?.stop()]);
});

function activitiesWith(emailConnector: EmailConnector) {
  return createActivities({
    connectors: { email: emailConnector } as ConnectorSet,
    ledger,
    loadUserState: async (user) => emptyState(user),
    caps: new MemoryCapStore(),
    consentMode: 'opt-out',
  });
}

const input = (journeyId: string, to = 'ann@example.com'): PerformStepInput => ({
  journeyId,
  userId: 'ann',
  rule: { id: 'r', version: 1 },
  step: { id: 'mail', type: 'email', subject: 'Hello {{ user.id }}', text: 'Code {{ coupon.code }}' },
  trigger: { messageId: 'm1', event: 'x', timestamp: new Date().toISOString(), properties: {} },
  traits: { email: to },
  coupon: 'C-1',
});

describe('send ledger', () => {
  it('a retried send activity returns the recorded result and sends nothing the second time', async () => {
    const activities = activitiesWith(email);
    smtp.clear();
    const first = await activities.performStep(input('journey/once/1'));
    const second = await activities.performStep(input('journey/once/1'));
    expect(second).toEqual(first);
    expect(first).toMatchObject({ status: 'done', details: { channel: 'email', to: 'ann@example.com', subject: 'Hello ann' } });
    expect(smtp.messages()).toHaveLength(1);
    expect(smtp.messages()[0]).toMatchObject({ subject: 'Hello ann', to: 'ann@example.com' });
  });

  it('an attempt that died after the provider call is reported as outcome_unknown and never re-sent', async () => {
    smtp.clear();
    const crashing: EmailConnector = {
      channel: 'email',
      provider: 'smtp',
      send: async (message) => {
        await email.send(message);
        throw new Error('worker died before recording the outcome');
      },
    };
    await expect(activitiesWith(crashing).performStep(input('journey/crash/1'))).rejects.toThrow('worker died');
    const retry = await activitiesWith(email).performStep(input('journey/crash/1')).catch((e: unknown) => e);
    expect(retry).toBeInstanceOf(ApplicationFailure);
    expect(retry).toMatchObject({ type: 'outcome_unknown', nonRetryable: true });
    expect(smtp.messages()).toHaveLength(1);
    expect((await ledger.get('journey/crash/1', 'mail'))?.record).toMatchObject({ status: 'unknown', reason: 'outcome_unknown', to: 'ann@example.com' });
  });

  it('a transient SMTP failure releases the claim so the retry sends exactly once', async () => {
    smtp.clear();
    smtp.failNext(451, 'try again later');
    const activities = activitiesWith(email);
    const failure = await activities.performStep(input('journey/transient/1')).catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: 'provider_unavailable', nonRetryable: false });
    await activities.performStep(input('journey/transient/1'));
    expect(smtp.messages()).toHaveLength(1);
  });

  it('a rejected address fails permanently, is recorded, and a retry does not try again', async () => {
    smtp.clear();
    const activities = activitiesWith(email);
    const failure = await activities.performStep(input('journey/bounce/1', 'bounce@example.com')).catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: 'rejected_address', nonRetryable: true });
    const again = await activities.performStep(input('journey/bounce/1', 'bounce@example.com')).catch((e: unknown) => e);
    expect(again).toMatchObject({ type: 'rejected_address', nonRetryable: true });
    expect(smtp.messages()).toHaveLength(0);
    expect((await ledger.get('journey/bounce/1', 'mail'))?.record).toMatchObject({ status: 'failed', reason: 'rejected_address' });
  });
});
