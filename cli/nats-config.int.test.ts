/**
 * The generated least-privilege NATS config on a real nats-server: each service connects with its own
 * credentials (nkeys and passwords) and can do its work; the collector can publish raw events but
 * neither read the behavior state bucket nor publish to a partition; replies to one service cannot be
 * read by another.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../dev/servers/nats';
import { freePort } from '../dev/servers/process';
import { loadConfig } from '../platform/config';
import { natsConnectOptions } from '../platform/nats/connect-options';
import { ensureStreams, openBucket, USERS_BUCKET } from '../platform/nats/setup';
import { publishEvent } from '../platform/nats/publisher';
import { publishToPerson } from '../platform/nats/partition-publish';
import { StateStore } from '../platform/stores/state-store';
import { emptyState } from '../engine/state/behavior-state';
import { IDENTITY_BUCKET, KvIdentityStore } from '../engine/identity/identity-store';
import { CheckpointStore } from '../engine/ownership/checkpoints';
import { LeaseStore } from '../engine/ownership/lease-store';
import { readInBatches } from '../platform/nats/stream-batches';
import { EVENTS_STREAM, partitionSubject, RAW_STREAM, RAW_SUBJECT } from '../engine/events/subjects';
import { writeNatsConfig } from './nats-config-command';
import { parseEnvFile } from './nats-config';
import { startCollectService } from '../engine/collect/collect-service';
import { startInboundService } from '../engine/inbound/inbound-service';
import { createLogger } from '../platform/logger';
import type { Service } from './nats-permissions';

const PARTITIONS = 4;
const event = (messageId: string) => ({ type: 'track' as const, event: 'page_viewed', userId: 'ann', properties: {}, context: {}, timestamp: '2026-12-01T10:00:00.000Z', messageId });

let server: NatsServerHandle;
let dir: string;
const open: NatsConnection[] = [];

/** The environment `nudge nats-config` wrote for a service, as that service would load it. */
function envOf(service: Service): Record<string, string> {
  return parseEnvFile(readFileSync(join(dir, `${service}.env`), 'utf8'));
}

async function connectAs(service: Service): Promise<NatsConnection> {
  const nc = await connect({ ...natsConnectOptions(loadConfig(envOf(service)), `test-${service}`), reconnect: false });
  open.push(nc);
  return nc;
}

/** Resolves to the error a permission violation raises (a request refused, or the connection's async error). */
async function refused(nc: NatsConnection, work: () => Promise<unknown>): Promise<string> {
  const asyncError = (async () => {
    for await (const status of nc.status()) if (status.type === 'error') return String(status.error);
    return 'closed';
  })();
  const outcome = await Promise.race([work().then(() => 'succeeded', (error: unknown) => String(error)), asyncError]);
  return outcome;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nudge-nats-config-'));
  const port = await freePort();
  writeNatsConfig({ out: dir, nkeys: true, listen: `127.0.0.1:${port}`, url: `nats://127.0.0.1:${port}`, storeDir: mkdtempSync(join(tmpdir(), 'nudge-nats-acl-')), encryptionKeyEnv: 'NUDGE_TEST_NATS_KEY' });
  const conf = readFileSync(join(dir, 'nats-server.conf'), 'utf8');
  // The generated config is used whole (its listen, store, encryption and accounts), read by the real server.
  process.env.NUDGE_TEST_NATS_KEY = 'test-key-0123456789abcdef0123456789ab';
  server = await startNats({ port, configText: conf, probe: { ...natsConnectOptions(loadConfig(envOf('operator')), 'probe') } });
  // The engine creates the streams and buckets, as in production where it starts first.
  const engine = await connectAs('engine');
  await ensureStreams(engine, { partitions: PARTITIONS, duplicateWindowMs: 60_000 });
  await openBucket(engine, USERS_BUCKET);
}, 30_000);

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  await server?.stop();
});

describe('nudge nats-config on a real nats-server', () => {
  it('lets the collector publish raw events and nothing else', async () => {
    const collector = await connectAs('collector');
    await ensureStreams(collector, { partitions: PARTITIONS, duplicateWindowMs: 60_000 }); // its start check passes
    expect(await publishEvent(jetstream(collector), event('c-1'))).toBe('published');

    const readState = await refused(collector, async () => (await new Kvm(collector).open(USERS_BUCKET)).get('u.YW5u'));
    expect(readState).toMatch(/permission/i);
    const toPartition = await refused(collector, () => publishToPerson(jetstream(collector, { timeout: 2000 }), PARTITIONS, 'ann', event('c-2')));
    expect(toPartition).toMatch(/permission/i);
    const engine = await connectAs('engine');
    const jsm = await jetstreamManager(engine);
    expect((await jsm.streams.info(EVENTS_STREAM)).state.messages).toBe(0); // nothing reached a partition
    expect((await jsm.streams.info(RAW_STREAM)).state.messages).toBe(1);
  }, 20_000);

  it('lets the engine read the raw stream, route to partitions and keep state, graph, leases and checkpoints', async () => {
    const engine = await connectAs('engine');
    const js = jetstream(engine);
    const seen: string[] = [];
    const stop = new AbortController();
    await readInBatches(js, RAW_STREAM, RAW_SUBJECT, 0, stop.signal, async (batch) => {
      for (const msg of batch) seen.push(msg.json<{ messageId: string }>().messageId);
      stop.abort();
    }, { maxBatch: 10, maxBuffered: 10 });
    expect(seen).toContain('c-1');
    await publishToPerson(js, PARTITIONS, 'ann', event('e-1'));
    const state = new StateStore(await openBucket(engine, USERS_BUCKET));
    await state.save({ ...emptyState('ann'), traits: { plan: 'pro' } }, 0);
    expect((await state.load('ann')).state.traits).toEqual({ plan: 'pro' });
    const graph = new KvIdentityStore(await openBucket(engine, IDENTITY_BUCKET));
    await graph.putIdentifier({ type: 'email', value: 'ann@example.com' }, 'ann', 0);
    const checkpoints = await CheckpointStore.open(engine);
    expect(checkpoints).toBeDefined();
    expect(await LeaseStore.open(engine, 8000)).toBeDefined();
    const partition = await (await js.consumers.get(EVENTS_STREAM, { filter_subjects: [partitionSubject(0), partitionSubject(1), partitionSubject(2), partitionSubject(3)] })).next({ expires: 2000 });
    expect(partition?.json<{ messageId: string }>().messageId).toBe('e-1');
  }, 20_000);

  it('lets the worker read state but not write it, and keeps one service from reading another\'s replies', async () => {
    const worker = await connectAs('worker');
    expect((await new StateStore(await openBucket(worker, USERS_BUCKET)).load('ann')).state.traits).toEqual({ plan: 'pro' });
    const write = await refused(worker, async () => (await new Kvm(worker).open(USERS_BUCKET)).put('u.YW5u', '{}'));
    expect(write).toMatch(/permission/i);
    const collector = await connectAs('collector');
    // A refused subscription is closed by the server's -ERR; still open after 3 s means it was allowed.
    const sub = collector.subscribe('_INBOX_engine.>');
    const snoop = await Promise.race([sub.closed.then((error) => String(error)), new Promise((done) => setTimeout(() => done('still subscribed'), 3000))]);
    expect(snoop).toMatch(/permission/i);
    // The control: the engine may read its own replies, so the check above can tell the two apart.
    const own = (await connectAs('engine')).subscribe('_INBOX_engine.>');
    expect(await Promise.race([own.closed.then((error) => String(error)), new Promise((done) => setTimeout(() => done('still subscribed'), 1000))])).toBe('still subscribed');
  }, 20_000);

  it('starts the collector and the inbound service with their own credentials', async () => {
    const log = createLogger('test', 'silent');
    const collector = await startCollectService({ config: loadConfig({ ...envOf('collector'), NUDGE_COLLECT_PORT: '0', NUDGE_PARTITIONS: String(PARTITIONS) }), log });
    const inbound = await startInboundService({ env: { ...envOf('inbound'), NUDGE_INBOUND_PORT: '0', NUDGE_PARTITIONS: String(PARTITIONS) }, log });
    try {
      const response = await fetch(`${collector.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('nudge-dev-write-key:').toString('base64')}` },
        body: JSON.stringify({ ...event('http-1'), timestamp: new Date().toISOString() }),
      });
      expect(response.status).toBe(200);
      const jsm = await jetstreamManager(await connectAs('operator'));
      expect((await jsm.streams.getMessage(RAW_STREAM, { last_by_subj: RAW_SUBJECT }))?.json<{ messageId: string }>().messageId).toBe('http-1');
    } finally {
      await inbound.stop();
      await collector.stop();
    }
  }, 20_000);
});
