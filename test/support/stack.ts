/**
 * A whole nudge installation for one test file, on real servers: its own NATS (JetStream), SMTP
 * capture, fake Twilio API and webhook receiver, the shared Temporal server, the engine and a worker
 * on a task queue of its own.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Client } from '@temporalio/client';
import { connectTemporalClient } from '../../platform/temporal/temporal-connection';
import { inject } from 'vitest';
import { startSmtpCapture, type SmtpCapture } from '../../dev/capture/smtp-capture';
import { startTwilioFake, type TwilioFake } from '../../connectors/sms/twilio/twilio.fake';
import { startWebhookCapture, type WebhookCapture } from '../../dev/capture/webhook-capture';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { loadConfig, type Config } from '../../platform/config';
import { startEngine, type EngineHandle } from '../../engine/engine-service';
import type { EventEnvelope } from '../../engine/events/envelope';
import { publishEvent } from '../../platform/nats/publisher';
import type { EventOutcome } from '../../engine/ingest/process-event';
import { createLogger } from '../../platform/logger';
import type { JourneyResult } from '../../workflows/journey/journey-input';
import { startWorkerService, type WorkerServiceHandle } from '../../workflows/worker-service';
import { eventually } from './poll';

export interface Stack {
  config: Config;
  nats: NatsServerHandle;
  nc: NatsConnection;
  js: JetStreamClient;
  smtp: SmtpCapture;
  twilio: TwilioFake;
  webhooks: WebhookCapture;
  engine: EngineHandle;
  worker: WorkerServiceHandle;
  temporal: Client;
  outcomes: EventOutcome[];
  deadLetters: string[];
  publish(event: EventEnvelope): Promise<'published' | 'duplicate'>;
  /** Resolves once the engine has handled (outcome or dead letter) every event published so far. */
  settle(timeoutMs?: number): Promise<void>;
  /** Counts an event published by other means (raw NATS publish) so settle() waits for it too. */
  expectExtra(count: number): void;
  /** The id of the journey the engine started for a user and rule (waits until it exists). */
  journeyIdOf(user: string, ruleId: string, timeoutMs?: number): Promise<string>;
  /** That journey's result (waits until it finishes). */
  journeyResultOf(user: string, ruleId: string): Promise<JourneyResult>;
  stop(): Promise<void>;
}

export async function startStack(options: { rules: string; env?: Record<string, string>; beforeEngine?: (captures: { webhooks: WebhookCapture }) => void }): Promise<Stack> {
  // Encrypted at rest as `nudge dev` and the demo run it, so every end-to-end test (erase included) runs on an encrypted store.
  const encryption = { cipher: 'chachapoly' as const, key: randomUUID() };
  const [nats, smtp, twilio, webhooks] = await Promise.all([startNats({ encryption }), startSmtpCapture(), startTwilioFake(), startWebhookCapture()]);
  options.beforeEngine?.({ webhooks });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: nats.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    NUDGE_TASK_QUEUE: `test-${randomUUID()}`,
    NUDGE_RULES_DIR: options.rules,
    NUDGE_PARTITIONS: '4',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    TWILIO_API_BASE: twilio.url,
    TWILIO_FROM: '+15005550006',
    LOG_LEVEL: 'error',
    ...options.env,
  };
  const config = loadConfig(env);
  const log = createLogger('test', config.LOG_LEVEL);
  const outcomes: EventOutcome[] = [];
  const deadLetters: string[] = [];
  let handled = 0;
  const waiters: { target: number; resolve: () => void }[] = [];
  const bump = () => {
    handled++;
    for (const w of waiters.filter((w) => handled >= w.target)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  // A forwarded event is counted where it is finally applied; merges are not published events.
  const engine = await startEngine({ config, log, onOutcome: (o) => { outcomes.push(o); if (o.kind !== 'merge' && !o.forwardedTo) bump(); }, onDeadLetter: (r) => { deadLetters.push(r); bump(); } });
  const worker = await startWorkerService(config, env, { log, workflowBundle: { code: inject('workflowBundleCode') } });
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  const js = jetstream(nc);
  const { connection, client: temporal } = await connectTemporalClient(config);
  let expected = 0;
  const journeyIdOf = (user: string, ruleId: string, timeoutMs = 15_000) =>
    eventually(() => {
      for (const outcome of outcomes) {
        if (outcome.userKey !== user) continue;
        for (const d of outcome.decisions) if (d.ruleId === ruleId && (d.outcome === 'started' || d.outcome === 'already_started')) return d.workflowId;
      }
      return undefined;
    }, timeoutMs, `the ${ruleId} journey of ${user}`);

  return {
    config, nats, nc, js, smtp, twilio, webhooks, engine, worker, temporal, outcomes, deadLetters,
    async publish(event) {
      const result = await publishEvent(js, event);
      if (result === 'published') expected++;
      return result;
    },
    expectExtra(count) {
      expected += count;
    },
    journeyIdOf,
    async journeyResultOf(user, ruleId) {
      return temporal.workflow.getHandle(await journeyIdOf(user, ruleId)).result();
    },
    settle(timeoutMs = 20_000) {
      const target = expected;
      if (handled >= target) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`engine handled ${handled} events, expected ${target}`)), timeoutMs);
        waiters.push({ target, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
    async stop() {
      await engine.stop();
      await worker.stop();
      await connection.close();
      await nc.close();
      await Promise.all([nats.stop(), smtp.stop(), twilio.stop(), webhooks.stop()]);
    },
  };
}

/** Manages ids and timestamps so test scenarios read like event sequences. */
export function track(userId: string, event: string, at: Date | string, properties: Record<string, unknown> = {}): EventEnvelope {
  const timestamp = typeof at === 'string' ? at : at.toISOString();
  return { type: 'track', event, userId, timestamp, properties, context: {}, messageId: `${userId}-${event}-${timestamp}-${randomUUID().slice(0, 8)}` };
}

export function identify(userId: string, traits: Record<string, unknown>, at: Date | string = new Date()): EventEnvelope {
  const timestamp = typeof at === 'string' ? at : at.toISOString();
  return { type: 'identify', userId, traits, timestamp, context: {}, messageId: `${userId}-identify-${randomUUID().slice(0, 8)}` };
}

export async function streamInfo(nc: NatsConnection, stream: string) {
  return (await jetstreamManager(nc)).streams.info(stream);
}
