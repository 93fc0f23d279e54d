/**
 * Engine throughput against a bare JetStream baseline, measured in one run on the same servers:
 *  - baseline: a durable pull consumer per partition that only acks (consume + ack, nothing else);
 *  - engine:   the real engine (envelope validation, KV state read/write, rule matching, journey
 *              starts on Temporal) with the example rules in rules/.
 * Events: page views, cart adds and orders spread over --users users (default 100k); a small share
 * of users view pricing often enough to start the flagship journey.
 * Usage: npm run bench -- [--events 200000] [--users 100000] [--partitions 16]
 */
import { jetstream, AckPolicy } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNats } from '../dev/servers/nats';
import { startTemporal } from '../dev/servers/temporal';
import { loadConfig } from '../engine/config';
import { startEngine } from '../engine/engine-service';
import type { EventEnvelope } from '../engine/events/envelope';
import { EVENTS_STREAM, partitionOf, partitionSubject } from '../engine/events/subjects';
import { ensureStreams } from '../engine/nats/setup';
import { createLogger } from '../engine/logger';
import { arg, mulberry32 } from './bench-support';

const EVENTS = arg('events', 200_000);
const USERS = arg('users', 100_000);
const PARTITIONS = arg('partitions', 16);

function* sampleEvents(now: number): Generator<EventEnvelope> {
  const random = mulberry32(42);
  const pages = ['home', 'pricing', 'docs', 'blog', 'about'];
  for (let i = 0; i < EVENTS; i++) {
    const user = `user-${Math.floor(random() * USERS)}`;
    const r = random();
    const timestamp = new Date(now - Math.floor((1 - i / EVENTS) * 6 * 86_400_000)).toISOString();
    const base = { userId: user, timestamp, messageId: `bench-${i}`, context: {} };
    if (r < 0.8) yield { type: 'track', event: 'page_viewed', properties: { page: pages[Math.floor(random() * pages.length)] }, ...base };
    else if (r < 0.95) yield { type: 'track', event: 'product_added', properties: { product: 'p' }, ...base };
    else yield { type: 'track', event: 'order_completed', properties: { amount: 10 }, ...base };
  }
}

async function main() {
  const log = createLogger('bench', (process.env.BENCH_LOG_LEVEL ?? 'error') as 'error');
  console.log(`nudge engine benchmark: ${EVENTS.toLocaleString()} events, ${USERS.toLocaleString()} users, ${PARTITIONS} partitions`);
  const [nats, temporal] = await Promise.all([startNats(), startTemporal({ uiPort: null })]);
  const nc = await connect({ servers: nats.url });
  try {
    const config = loadConfig({ NATS_URL: nats.url, TEMPORAL_ADDRESS: temporal.address, NUDGE_PARTITIONS: String(PARTITIONS), NUDGE_TASK_QUEUE: 'bench', LOG_LEVEL: 'error' });
    const jsm = await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW });
    const js = jetstream(nc);

    let t0 = performance.now();
    let pending: Promise<unknown>[] = [];
    for (const event of sampleEvents(Date.now())) {
      pending.push(js.publish(partitionSubject(partitionOf(event.userId!, PARTITIONS)), JSON.stringify(event), { msgID: event.messageId }));
      if (pending.length >= 2000) { await Promise.all(pending); pending = []; }
    }
    await Promise.all(pending);
    const publishSeconds = (performance.now() - t0) / 1000;
    console.log(`published in ${publishSeconds.toFixed(1)} s (${Math.round(EVENTS / publishSeconds).toLocaleString()} msg/s)`);

    // Baseline: same partition layout, consume + ack only.
    for (let p = 0; p < PARTITIONS; p++) {
      await jsm.consumers.add(EVENTS_STREAM, { durable_name: `bare-${p}`, filter_subject: partitionSubject(p), ack_policy: AckPolicy.Explicit, max_ack_pending: 1000 });
    }
    t0 = performance.now();
    let acked = 0;
    await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => {
      const consumer = await js.consumers.get(EVENTS_STREAM, `bare-${p}`);
      const info = await consumer.info();
      let left = info.num_pending;
      if (left === 0) return;
      const messages = await consumer.consume({ max_messages: 256 });
      for await (const msg of messages) {
        await msg.ackAck();
        acked++;
        if (--left === 0) break;
      }
    }));
    const bareSeconds = (performance.now() - t0) / 1000;

    // Engine: real processing of the same events.
    let processed = 0;
    let started = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const count = () => { if (++processed === EVENTS) done(); };
    t0 = performance.now();
    const memoryBefore = process.memoryUsage().rss;
    const engine = await startEngine({ config, log, onOutcome: (o) => { started += o.decisions.filter((d) => d.outcome === 'started').length; count(); }, onDeadLetter: count });
    await finished;
    const engineSeconds = (performance.now() - t0) / 1000;
    const memoryAfter = process.memoryUsage().rss;
    await engine.stop();

    const bareRate = acked / bareSeconds;
    const engineRate = processed / engineSeconds;
    console.log('');
    console.log('                         messages   seconds     msg/s');
    console.log(`bare consume+ack      ${String(acked).padStart(10)} ${bareSeconds.toFixed(1).padStart(9)} ${Math.round(bareRate).toString().padStart(9)}`);
    console.log(`engine (3 rules)      ${String(processed).padStart(10)} ${engineSeconds.toFixed(1).padStart(9)} ${Math.round(engineRate).toString().padStart(9)}`);
    console.log('');
    console.log(`engine / bare ratio: ${(engineRate / bareRate).toFixed(3)}   (journeys started: ${started}; engine process RSS grew ${((memoryAfter - memoryBefore) / 2 ** 20).toFixed(0)} MiB)`);
  } finally {
    await nc.close();
    await Promise.all([nats.stop(), temporal.stop()]);
  }
}

await main();
