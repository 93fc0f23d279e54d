/**
 * Exactly-once sends when the worker dies mid-send. The worker runs as its own process (`nudge worker`)
 * beside an in-process engine, on a task queue no other worker polls. The SMTP server receives the
 * message but holds its final reply, so the provider call has not returned when the worker is killed
 * with SIGKILL. A second worker process picks up the retried activity (once Temporal's 30 s
 * start-to-close timeout has expired), finds the ledger claim `pending`, marks it `unknown`, and the
 * journey records `skip` / outcome_unknown: the message is never sent twice. The journey event log holds
 * each action once, the interrupted send as `step_outcome_unknown` (not a skip).
 *
 * The same situation without a crash — the message was received but the reply never arrives, or the
 * connection drops after the request was sent — is covered at the activity level below.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { readJourneyEvents } from '../../platform/nats/journey-event-stream';
import { JOURNEY_EVENTS_STREAM, type JourneyEventRecord } from '../../workflows/journey/journey-event-record';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Client, Connection } from '@temporalio/client';
import { connectTemporalClient } from '../../platform/temporal/temporal-connection';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ConnectorSet } from '../../connectors/channels';
import { SmtpEmailConnector } from '../../connectors/email/smtp/smtp.connector';
import { TwilioSmsConnector } from '../../connectors/sms/twilio/twilio.connector';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { loadConfig } from '../../platform/config';
import { startEngine, type EngineHandle } from '../../engine/engine-service';
import { publishEvent } from '../../platform/nats/publisher';
import type { EventOutcome } from '../../engine/ingest/process-event';
import { createLogger } from '../../platform/logger';
import { openBucket, SENDS_BUCKET } from '../../platform/nats/setup';
import { emptyState } from '../../engine/state/behavior-state';
import { createActivities, type PerformStepInput } from '../../workflows/activities/create-activities';
import { MemoryCapStore } from '../../workflows/activities/frequency-caps';
import { SendLedger } from '../../workflows/activities/send-ledger';
import type { JourneyResult } from '../../workflows/journey/journey-input';
import { eventually } from '../support/poll';
import { identify, track } from '../support/stack';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

interface HeldMessage {
  to: string;
  subject: string;
  receivedAt: number;
}

/**
 * An SMTP server that keeps what it receives and, for the first `holdReplies` messages, does not send
 * the final reply to DATA: the message is in, the client is still waiting. `releaseAfterMs` answers
 * 250 after that long; without it the reply never comes.
 */
async function startHoldingSmtp(options: { holdReplies: number; releaseAfterMs?: number }) {
  const messages: HeldMessage[] = [];
  const waiters: (() => void)[] = [];
  const timers: NodeJS.Timeout[] = [];
  let held = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    closeTimeout: 500,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push({ to: session.envelope.rcptTo.map((r) => r.address).join(', '), subject: parsed.subject ?? '', receivedAt: Date.now() });
          for (const wake of waiters.splice(0)) wake();
          if (held < options.holdReplies) {
            held++;
            if (options.releaseAfterMs !== undefined) timers.push(setTimeout(() => callback(), options.releaseAfterMs));
            return; // the reply is held: the sender is stuck between the provider call and its result
          }
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  server.on('error', () => undefined); // writes to connections whose client was killed
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.server.address() as AddressInfo).port,
    messages: () => [...messages],
    /** Resolves as soon as `count` messages have been received. */
    received(count: number, timeoutMs: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${messages.length} of ${count} message(s) at the SMTP server after ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          if (messages.length < count) return void waiters.push(check);
          clearTimeout(timer);
          resolve();
        };
        check();
      });
    },
    stop: () => {
      timers.forEach(clearTimeout);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('killing the worker process between the provider call and the activity\'s completion', () => {
  let nats: NatsServerHandle;
  let smtp: Awaited<ReturnType<typeof startHoldingSmtp>>;
  let engine: EngineHandle;
  let nc: NatsConnection;
  let connection: Connection;
  let temporal: Client;
  const workers: WorkerProcess[] = [];
  const outcomes: EventOutcome[] = [];
  const taskQueue = `test-crash-${randomUUID()}`;
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    [nats, smtp] = await Promise.all([startNats(), startHoldingSmtp({ holdReplies: 1 })]);
    const env = {
      NATS_URL: nats.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      NUDGE_TASK_QUEUE: taskQueue,
      NUDGE_PARTITIONS: '4',
    };
    // Only the child worker processes poll this task queue: the engine runs here, the worker does not.
    const config = loadConfig({ ...env, NUDGE_RULES_DIR: 'test/fixtures/worker-crash', LOG_LEVEL: 'error' });
    engine = await startEngine({ config, log: createLogger('test', 'error'), onOutcome: (o) => outcomes.push(o) });
    workerEnv = { ...env, SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), TWILIO_API_BASE: 'http://127.0.0.1:9' };
    nc = await connect({ servers: nats.url });
    ({ connection, client: temporal } = await connectTemporalClient(config));
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await engine?.stop();
    await connection?.close();
    await nc?.close();
    await Promise.all([nats?.stop(), smtp?.stop()]);
  });

  it('a second worker finds the claim pending, records outcome_unknown and sends nothing; the capture holds one message', async () => {
    const started = Date.now();
    workers.push(await startWorkerProcess(workerEnv));
    const workerStartMs = Date.now() - started;

    const js = jetstream(nc);
    await publishEvent(js, identify('crash-user', { email: 'crash-user@example.com' }, new Date(Date.now() - 60_000)));
    await publishEvent(js, track('crash-user', 'crash_test', new Date()));
    const workflowId = await eventually(() => outcomes.flatMap((o) => o.decisions).find((d) => d.ruleId === 'crash-email' && d.outcome === 'started'), 15_000, 'the journey to start')
      .then((d) => (d as { workflowId: string }).workflowId);

    // The message is at the SMTP server; its reply is held, so the worker is inside the provider call.
    await smtp.received(1, 30_000);
    const ledger = new SendLedger(await openBucket(nc, SENDS_BUCKET));
    expect((await ledger.get(workflowId, 'crash-email'))?.record).toMatchObject({ status: 'pending', channel: 'email', to: 'crash-user@example.com' });

    const killedAt = Date.now();
    await workers[0]!.kill();
    workers.push(await startWorkerProcess(workerEnv));

    const result: JourneyResult = await temporal.workflow.getHandle(workflowId).result();
    const recoveryMs = Date.now() - killedAt;
    console.info(`worker crash: first worker ready after ${workerStartMs} ms; journey finished ${recoveryMs} ms after SIGKILL`);

    expect(result.reason).toBe('completed');
    expect(result.log.map(({ at: _at, ...a }) => a)).toEqual([
      { step: 'crash-email', action: 'skip', reason: 'outcome_unknown', detail: expect.stringContaining('not re-sending') },
      { step: null, action: 'exit', reason: 'completed' },
    ]);
    expect((await ledger.get(workflowId, 'crash-email'))?.record).toMatchObject({ status: 'unknown', reason: 'outcome_unknown', to: 'crash-user@example.com' });
    expect(smtp.messages()).toEqual([expect.objectContaining({ to: 'crash-user@example.com', subject: 'Only once, crash-user' })]);

    // The journey event log: each action once on the stream itself (messages per subject, before any
    // reader's de-duplication), the interrupted send as its own kind, never a skip.
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.info(JOURNEY_EVENTS_STREAM, { subjects_filter: 'nudge.journey_events.crash-email.>' });
    expect(stored.state.subjects).toEqual({
      'nudge.journey_events.crash-email.enter': 1,
      'nudge.journey_events.crash-email.step_outcome_unknown': 1,
      'nudge.journey_events.crash-email.exit': 1,
    });
    const records: JourneyEventRecord[] = [];
    for await (const record of readJourneyEvents(js, { from: started - 60_000, to: Date.now() + 60_000, ruleId: 'crash-email' })) records.push(record);
    expect(records.map((r) => [r.journeyId, r.kind, r.stepId])).toEqual([[workflowId, 'enter', null], [workflowId, 'step_outcome_unknown', 'crash-email'], [workflowId, 'exit', null]]);
  }, 150_000);
});

/**
 * The provider received the message, but its answer does not arrive: the SMTP reply to DATA comes after
 * the connector's socket timeout, or the HTTP connection to Twilio drops after the request was sent.
 * Whether the message went out is unknown, exactly as after a crash, so the retry must not send again.
 */
describe('a provider call whose outcome is unknown without a crash', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let ledger: SendLedger;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    ledger = new SendLedger(await openBucket(nc, SENDS_BUCKET));
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  const activitiesWith = (connectors: Partial<ConnectorSet>) =>
    createActivities({ connectors: connectors as ConnectorSet, ledger, loadUserState: async (user) => emptyState(user), caps: new MemoryCapStore(), consentMode: 'opt-out' });

  const input = (journeyId: string, step: PerformStepInput['step'], traits: Record<string, unknown>): PerformStepInput => ({
    journeyId,
    userId: 'ann',
    rule: { id: 'r', version: 1 },
    step,
    trigger: { messageId: 'm1', event: 'x', timestamp: new Date().toISOString(), properties: {} },
    traits,
    coupon: null,
  });

  /** Runs the activity like Temporal would: retried while the failure is retryable (at most 4 attempts). */
  async function withRetries(run: () => Promise<unknown>): Promise<unknown[]> {
    const attempts: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const outcome = await run().then((value) => ({ value }), (error: unknown) => ({ error }));
      attempts.push(outcome);
      if ('value' in outcome) break;
      if ((outcome.error as { nonRetryable?: boolean }).nonRetryable) break;
    }
    return attempts;
  }

  it('SMTP: the reply to DATA comes after the connector\'s timeout — the retry does not send a second message', async () => {
    const smtp = await startHoldingSmtp({ holdReplies: 1, releaseAfterMs: 3000 });
    const email = new SmtpEmailConnector({ host: '127.0.0.1', port: smtp.port, from: 'nudge <nudge@example.com>', connectionTimeoutMs: 1000 });
    try {
      const activities = activitiesWith({ email });
      const step = { id: 'mail', type: 'email' as const, subject: 'Once', text: 'Exactly once.' };
      const attempts = await withRetries(() => activities.performStep(input('journey/smtp-timeout/1', step, { email: 'ann@example.com' })));
      expect(smtp.messages(), `attempts: ${JSON.stringify(attempts.map((a) => (a as { error?: { type?: string } }).error?.type ?? 'done'))}`).toHaveLength(1);
    } finally {
      await email.close();
      await smtp.stop();
    }
  });

  it('Twilio: the connection drops after the request was received — the retry does not send a second SMS', async () => {
    const received: string[] = [];
    const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(body);
        if (received.length === 1) return void request.socket.destroy(); // accepted, but the answer is lost
        const form = new URLSearchParams(body);
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ sid: `SM${randomUUID().replace(/-/g, '')}`, to: form.get('To'), from: form.get('From'), body: form.get('Body'), status: 'queued' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const sms = new TwilioSmsConnector({
      accountSid: `AC${'0'.repeat(32)}`,
      authToken: 'test-token',
      from: '+15005550006',
      apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    try {
      const activities = activitiesWith({ sms });
      const step = { id: 'text', type: 'sms' as const, body: 'Exactly once.' };
      const attempts = await withRetries(() => activities.performStep(input('journey/twilio-reset/1', step, { phone: '+14155550100' })));
      expect(received, `attempts: ${JSON.stringify(attempts.map((a) => (a as { error?: { type?: string } }).error?.type ?? 'done'))}`).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
