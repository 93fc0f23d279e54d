/**
 * Collector throughput against a bare JetStream baseline, measured in one run on the same nats-server
 * with the same events (track events of 10k users, Segment batches of --batch messages):
 *  - baseline:  --concurrency workers in this process, each taking the next batch's envelopes and
 *               publishing them one after another with publishEvent (raw stream, messageId as
 *               Nats-Msg-Id), as the collector does for one request; so both keep --concurrency
 *               publishes in flight. The envelopes are the ones the collector makes of the batch.
 *  - collector: `nudge collect` in its own process; --concurrency fetch requests in flight (keep-alive),
 *               each one `/v1/batch` with Basic auth; only events of requests answered 200 count.
 * Each phase starts on an empty stream and must leave exactly its events in it. Latency is per batch:
 * one request, or one worker's publishes of one batch. The collector's RSS is read from /proc.
 * Usage: npm run bench:collect -- [--events 100000] [--batch 100] [--concurrency 8]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNats } from '../dev/servers/nats';
import { freePort, spawnServer, waitUntilReady } from '../dev/servers/process';
import { collectBatch } from '../engine/collect/segment-messages';
import type { EventEnvelope } from '../engine/events/envelope';
import { publishEvent } from '../platform/nats/publisher';
import { RAW_STREAM } from '../engine/events/subjects';
import { ensureStreams } from '../platform/nats/setup';
import { arg, mulberry32 } from './bench-support';

const EVENTS = arg('events', 100_000);
const BATCH = arg('batch', 100);
const CONCURRENCY = arg('concurrency', 8);
const PARTITIONS = 16;
const USERS = 10_000;
const WARMUP_EVENTS = Math.min(5_000, EVENTS);
const WRITE_KEY = 'wk-bench';
const SOURCE = 'bench';

interface Batch { body: string; events: EventEnvelope[] }

/** Segment batches as analytics-node sends them; messageIds carry `prefix`, so phases never collide. */
function sampleBatches(prefix: string, count: number): Batch[] {
  const random = mulberry32(42);
  const pages = ['home', 'pricing', 'docs', 'blog', 'about'];
  const now = Date.now();
  const context = { library: { name: '@segment/analytics-node', version: '3.1.0' } };
  const batches: Batch[] = [];
  for (let first = 0; first < count; first += BATCH) {
    const messages = [];
    for (let i = first; i < Math.min(first + BATCH, count); i++) {
      const r = random();
      const base = { type: 'track', userId: `user-${Math.floor(random() * USERS)}`, messageId: `${prefix}-${i}`, timestamp: new Date(now - (count - i) * 10).toISOString(), context };
      if (r < 0.8) messages.push({ ...base, event: 'page_viewed', properties: { page: pages[Math.floor(random() * pages.length)] } });
      else if (r < 0.95) messages.push({ ...base, event: 'product_added', properties: { product: 'p', price: 129 } });
      else messages.push({ ...base, event: 'order_completed', properties: { amount: 10 } });
    }
    const batch = { batch: messages, sentAt: new Date(now).toISOString() };
    const collected = collectBatch(batch, { source: SOURCE, receivedAt: now });
    if (!collected.ok) throw new Error(`benchmark batch is invalid: ${collected.reason}`);
    batches.push({ body: JSON.stringify(batch), events: collected.events });
  }
  return batches;
}

/** Runs `work` over the batches with `CONCURRENCY` in flight; returns each batch's latency (ms). */
async function inFlight(batches: Batch[], work: (batch: Batch) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const start = performance.now();
      await work(batch);
      latencies.push(performance.now() - start);
    }
  }));
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;

/** VmRSS / VmHWM of a process in MiB (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

async function main() {
  console.log(`nudge collector benchmark: ${EVENTS.toLocaleString()} events, batches of ${BATCH}, ${CONCURRENCY} in flight, ${PARTITIONS} partitions`);
  const nats = await startNats();
  const port = await freePort();
  const collector = spawnServer('nudge collect', process.execPath, [fileURLToPath(new URL('../bin/nudge.js', import.meta.url)), 'collect'], {
    NATS_URL: nats.url, NUDGE_PARTITIONS: String(PARTITIONS), NUDGE_COLLECT_PORT: String(port), NUDGE_WRITE_KEYS: JSON.stringify({ [WRITE_KEY]: SOURCE }), LOG_LEVEL: 'warn',
  });
  const url = `http://127.0.0.1:${port}`;
  const nc = await connect({ servers: nats.url });
  try {
    await waitUntilReady('nudge collect', collector, async () => (await fetch(`${url}/healthz`)).ok, 30_000);
    const jsm = await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: 86_400_000 });
    const js = jetstream(nc, { timeout: 5000 });
    const storedCount = async () => (await jsm.streams.info(RAW_STREAM)).state.messages;

    const statuses = new Map<string, number>();
    let answered200 = 0;
    const bare = async (batch: Batch) => {
      for (const event of batch.events) await publishEvent(js, event);
    };
    const authorization = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;
    const post = async (batch: Batch) => {
      const status = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: authorization }, body: batch.body })
        .then(async (response) => { await response.arrayBuffer(); return String(response.status); }, (error: Error) => `${error.name}`);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === '200') answered200 += batch.events.length;
    };

    // Warm-up of both paths (JIT, connections), then every phase starts on an empty stream.
    await inFlight(sampleBatches('warm-bare', WARMUP_EVENTS), bare);
    await inFlight(sampleBatches('warm-http', WARMUP_EVENTS), post);
    statuses.clear();
    answered200 = 0;

    await jsm.streams.purge(RAW_STREAM);
    const bareBatches = sampleBatches('bare', EVENTS);
    let t0 = performance.now();
    const bareLatencies = await inFlight(bareBatches, bare);
    const bareSeconds = (performance.now() - t0) / 1000;
    const bareStored = await storedCount();

    await jsm.streams.purge(RAW_STREAM);
    const httpBatches = sampleBatches('http', EVENTS);
    const memoryBefore = memoryOf(collector.child.pid!);
    t0 = performance.now();
    const httpLatencies = await inFlight(httpBatches, post);
    const httpSeconds = (performance.now() - t0) / 1000;
    const memoryAfter = memoryOf(collector.child.pid!);
    const httpStored = await storedCount();

    const bareRate = EVENTS / bareSeconds;
    const httpRate = answered200 / httpSeconds;
    const row = (label: string, events: number, seconds: number, rate: number, latencies: number[]) =>
      `${label.padEnd(26)}${String(events).padStart(8)} ${seconds.toFixed(1).padStart(8)} ${Math.round(rate).toString().padStart(9)} ${percentile(latencies, 0.5).toFixed(1).padStart(8)} ${percentile(latencies, 0.99).toFixed(1).padStart(8)}`;
    console.log('');
    console.log('                            events  seconds  events/s  p50 ms   p99 ms  (per batch)');
    console.log(row('bare JetStream publish', EVENTS, bareSeconds, bareRate, bareLatencies));
    console.log(row('collector /v1/batch', answered200, httpSeconds, httpRate, httpLatencies));
    console.log('');
    console.log(`collector / bare ratio: ${(httpRate / bareRate).toFixed(3)}`);
    console.log(`collector process RSS: ${memoryBefore.rss.toFixed(0)} MiB before, ${memoryAfter.rss.toFixed(0)} MiB after, peak ${memoryAfter.peak.toFixed(0)} MiB`);
    console.log(`requests: ${[...statuses].map(([status, n]) => `${n} x ${status}`).join(', ')}`);
    const checks = [`bare: ${bareStored}/${EVENTS}`, `collector: ${httpStored}/${EVENTS}`];
    const ok = bareStored === EVENTS && httpStored === EVENTS && answered200 === EVENTS;
    console.log(`stream holds expected messages: ${checks.join(', ')} -> ${ok ? 'ok' : 'MISMATCH'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await nc.close();
    await collector.stop();
    await nats.stop();
  }
}

await main();
