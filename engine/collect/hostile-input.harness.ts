/**
 * What the hostile-input tests share: the real collector (HTTP, JetStream sink) in front of the real
 * resolver loop on one nats-server (resolver-loop.harness.ts), and readers of whole streams.
 */
import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { createLogger } from '../../platform/logger';
import { ensureStreams } from '../../platform/nats/setup';
import { CheckpointStore } from '../ownership/checkpoints';
import { KvIdentityStore } from '../identity/identity-store';
import { loopContext, PARTITIONS, type ResolverLoopHarness } from '../identity/resolver-loop.harness';
import { runResolverLoop } from '../identity/resolver-loop';
import { isInfrastructure } from '../identity/resolver-failures';
import { keepConsuming } from '../keep-consuming';
import { startCollectServer, type CollectServer } from './collect-server';
import { jetStreamSink } from './collect-service';

export const WRITE_KEY = 'wk-hostile';
export const SOURCE = 'hostile-input-test';

export interface HostileHarness extends ResolverLoopHarness {
  collector: CollectServer;
  deadLetterReasons: string[];
  /** Why the resolver loop failed and was started again (the engine's keepConsuming): none but infrastructure may appear. */
  resolverRestarts: string[];
}

/**
 * One nats-server, collector and resolver loop for the whole file (not the resolver harness's per-test
 * purge: the loop keeps running across tests, so each test uses its own ids). The loop is kept running
 * as the engine keeps it (keepConsuming): on a loaded machine a PubAck or KV read can time out, which
 * fails the batch and restarts the loop from its checkpoint; a test that ran it bare saw it stop there.
 */
export function useHostileHarness(): HostileHarness {
  const h = {} as HostileHarness;
  let nats: NatsServerHandle | undefined;
  const stop = new AbortController();
  let loop: Promise<void> | undefined;
  beforeAll(async () => {
    nats = await startNats();
    h.nc = await connect({ servers: nats.url });
    h.jsm = await ensureStreams(h.nc, { partitions: PARTITIONS, duplicateWindowMs: 3_600_000 });
    h.js = jetstream(h.nc);
    h.checkpoints = await CheckpointStore.open(h.nc);
    h.graphBucket = await new Kvm(h.nc).create('identity_hostile', { history: 1 });
    h.graph = new KvIdentityStore(h.graphBucket);
    h.collector = await startCollectServer({ port: 0, writeKeys: { [WRITE_KEY]: SOURCE }, sink: jetStreamSink(h.js, () => !h.nc.isClosed()), log: createLogger('test', 'silent') });
    const ctx = loopContext(h, { batches: { maxBatch: 256, maxBuffered: 1024 } });
    h.deadLetterReasons = ctx.deadLetters;
    h.resolverRestarts = [];
    const run = () => runResolverLoop(ctx, stop.signal).catch((error: unknown) => {
      h.resolverRestarts.push(`${(error as Error).name}: ${(error as Error).message}${isInfrastructure(error) ? '' : ' (NOT infrastructure)'}`);
      throw error;
    });
    loop = keepConsuming('identity resolver', run, stop.signal, ctx.log, 200);
  });
  afterAll(async () => {
    await h.collector?.stop();
    stop.abort();
    await loop;
    await h.nc?.close();
    await nats?.stop();
  });
  return h;
}

export interface StoredMessage {
  msg: JsMsg;
  subject: string;
  data: Uint8Array;
  header(name: string): string;
}

/** Every message of a stream, in order (an ordered consumer: fast for thousands of messages). */
export async function readStream(h: ResolverLoopHarness, stream: string): Promise<StoredMessage[]> {
  const { state } = await h.jsm.streams.info(stream);
  const out: StoredMessage[] = [];
  if (state.messages === 0) return out;
  const consumer = await h.js.consumers.get(stream);
  while (out.length < state.messages) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
    let got = 0;
    for await (const msg of batch) {
      got++;
      out.push({ msg, subject: msg.subject, data: msg.data, header: (name) => msg.headers?.get(name) ?? '' });
    }
    if (got === 0) break;
  }
  return out;
}

export const auth = (key = WRITE_KEY) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

export async function post(h: HostileHarness, path: string, body: string | Uint8Array, headers: Record<string, string> = { Authorization: auth() }) {
  const response = await fetch(`${h.collector.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  return { status: response.status, text: await response.text() };
}
