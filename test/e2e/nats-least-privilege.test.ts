/**
 * A whole installation on a nats-server run with the config `nudge nats-config --nkeys` generated
 * (one user per service, encryption at rest): the collector, engine and worker each start with their
 * own env file, and a page view sent to the collector becomes a journey whose email is delivered —
 * and the worker's journey-ended notice reaches the partition: every stream, bucket and reply each
 * service needs is in its permissions.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSmtpCapture, type SmtpCapture } from '../../dev/capture/smtp-capture';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { freePort } from '../../dev/servers/process';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { natsConnectOptions } from '../../platform/nats/connect-options';
import { startEngine, type EngineHandle } from '../../engine/engine-service';
import { startCollectService } from '../../engine/collect/collect-service';
import type { CollectServer } from '../../engine/collect/collect-server';
import { startWorkerService, type WorkerServiceHandle } from '../../workflows/worker-service';
import { writeNatsConfig } from '../../cli/nats-config-command';
import { parseEnvFile } from '../../cli/nats-config';
import type { Service } from '../../cli/nats-permissions';
import { CONTROL_HEADER, EVENTS_STREAM, PERSON_HEADER, partitionOf, partitionSubject } from '../../engine/events/subjects';
import { ENDED_CONTROL } from '../../engine/ingest/partition-messages';
import { eventually } from '../support/poll';

let nats: NatsServerHandle;
let operator: NatsConnection;
let operatorJsm: JetStreamManager;
let smtp: SmtpCapture;
let engine: EngineHandle | undefined;
let worker: WorkerServiceHandle | undefined;
let collector: CollectServer | undefined;
const deadLetters: string[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-nats-acl-e2e-'));
  const port = await freePort();
  writeNatsConfig({ out: dir, nkeys: true, listen: `127.0.0.1:${port}`, url: `nats://127.0.0.1:${port}`, storeDir: mkdtempSync(join(tmpdir(), 'nudge-nats-acl-e2e-store-')), encryptionKeyEnv: 'NUDGE_TEST_NATS_KEY' });
  process.env.NUDGE_TEST_NATS_KEY = 'test-key-0123456789abcdef0123456789ab';
  const envOf = (service: Service) => parseEnvFile(readFileSync(join(dir, `${service}.env`), 'utf8'));
  nats = await startNats({ port, configText: readFileSync(join(dir, 'nats-server.conf'), 'utf8'), probe: natsConnectOptions(loadConfig(envOf('operator')), 'probe') });
  smtp = await startSmtpCapture();
  operator = await connect(natsConnectOptions(loadConfig(envOf('operator')), 'test-operator'));
  operatorJsm = await jetstreamManager(operator);
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    NUDGE_TASK_QUEUE: `test-${randomUUID()}`,
    NUDGE_RULES_DIR: 'test/fixtures/collect',
    NUDGE_PARTITIONS: '4',
    NUDGE_COLLECT_PORT: '0',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    LOG_LEVEL: 'error',
    // The rule sends email only; SMS needs a valid configuration to start, never a reachable API.
    TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
    TWILIO_AUTH_TOKEN: 'unused',
    TWILIO_FROM: '+15005550006',
    TWILIO_API_BASE: 'http://127.0.0.1:9',
  };
  const log = createLogger('test', 'error');
  engine = await startEngine({ config: loadConfig({ ...base, ...envOf('engine') }), log, onDeadLetter: (reason) => deadLetters.push(reason) });
  const workerEnv = { ...base, ...envOf('worker') };
  worker = await startWorkerService(loadConfig(workerEnv), workerEnv, { log, workflowBundle: { code: inject('workflowBundleCode') } });
  collector = await startCollectService({ config: loadConfig({ ...base, ...envOf('collector') }), log });
}, 60_000);

afterAll(async () => {
  await collector?.stop();
  await engine?.stop();
  await worker?.stop();
  await smtp?.stop();
  await operator?.close();
  await nats?.stop();
});

describe('services with least-privilege NATS users', () => {
  it('carries a page view from the collector through the engine to the worker\'s email', async () => {
    const user = `acl-${randomUUID().slice(0, 8)}`;
    const post = (path: string, body: Record<string, unknown>) =>
      fetch(`${collector!.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('nudge-dev-write-key:').toString('base64')}` },
        body: JSON.stringify({ userId: user, timestamp: new Date().toISOString(), ...body }),
      });
    expect((await post('/v1/identify', { traits: { email: `${user}@example.com` } })).status).toBe(200);
    expect((await post('/v1/page', { name: 'Pricing', properties: { path: '/pricing', url: 'https://shop.example/pricing' } })).status).toBe(200);
    const email = await smtp.waitFor((message) => message.to.includes(`${user}@example.com`), 30_000);
    expect(email.subject).toBe('Questions about Pricing?');
    // The worker's journey-ended notice reaches the person's partition: its publish is allowed too.
    const ended = await eventually(async () => {
      const last = await operatorJsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: partitionSubject(partitionOf(user, 4)) }).catch(() => null);
      return last?.header.get(CONTROL_HEADER) === ENDED_CONTROL ? last : undefined;
    }, 30_000, 'the journey-ended notice');
    expect(ended.header.get(PERSON_HEADER)).toBe(user);
    expect(deadLetters).toEqual([]);
  }, 60_000);
});
