/**
 * Engine throughput against a bare JetStream baseline, measured in one run on the same servers:
 *  - baseline: a durable pull consumer per partition that only acks (consume + ack, nothing else);
 *  - engine:   the real engine (validation, cached behavior state written behind in batches, rule
 *              matching over the example rules plus --rules generated ones, journey starts on
 *              Temporal) with a worker running, over --users people (Zipf: a few very active, a long
 *              tail), about 1% of events starting a journey.
 * Then memory: bytes per cached person (heap growth / people cached) and the engine process's RSS.
 * With --everyone, events take the people in turn instead of by Zipf, so --events >= --users reaches every
 * person: RSS with the cache capped at that many people (the peak is sampled every second while the engine runs).
 * Usage: npm run bench -- [--events 200000] [--users 1000000] [--partitions 16] [--rules 200] [--cache 20000] [--batch 2000] [--everyone]
 */
import { jetstream, AckPolicy } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startSmtpCapture } from '../dev/capture/smtp-capture';
import { startTwilioFake } from '../connectors/sms/twilio/twilio.fake';
import { startWebhookCapture } from '../dev/capture/webhook-capture';
import { startNats } from '../dev/servers/nats';
import { startTemporal } from '../dev/servers/temporal';
import { loadConfig } from '../platform/config';
import { startEngine } from '../engine/engine-service';
import { EVENTS_STREAM, partitionOf, partitionSubject } from '../engine/events/subjects';
import { createLogger } from '../platform/logger';
import { ensureStreams } from '../platform/nats/setup';
import { startWorkerService } from '../workflows/worker-service';
import { arg, machineLoad, RateWindow, withDeadline } from './bench-support';
import { benchmarkEvents, writeRuleSet } from './engine-rule-set';

const EVENTS = arg('events', 200_000);
const USERS = arg('users', 1_000_000);
const PARTITIONS = arg('partitions', 16);
const GENERATED_RULES = arg('rules', 200);
const CACHE = arg('cache', 20_000);
const EVERYONE = process.argv.includes('--everyone');

const gc = (globalThis as { gc?: () => void }).gc;
const heapNow = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

async function main() {
  const log = createLogger('bench', (process.env.BENCH_LOG_LEVEL ?? 'error') as 'error');
  console.log(`nudge engine benchmark: ${EVENTS.toLocaleString()} events, ${USERS.toLocaleString()} users, ${PARTITIONS} partitions, 3 example + ${GENERATED_RULES} generated rules, cache ${CACHE.toLocaleString()} people per partition`);
  const rulesDir = writeRuleSet(GENERATED_RULES);
  const [nats, temporal, smtp, twilio, webhooks] = await Promise.all([startNats(), startTemporal({ uiPort: null }), startSmtpCapture(), startTwilioFake(), startWebhookCapture()]);
  const nc = await connect({ servers: nats.url });
  try {
    const env = {
      NATS_URL: nats.url, TEMPORAL_ADDRESS: temporal.address, NUDGE_PARTITIONS: String(PARTITIONS), NUDGE_TASK_QUEUE: 'bench',
      NUDGE_RULES_DIR: rulesDir, NUDGE_TAGS_DIR: 'rules/tags', NUDGE_STATE_CACHE: String(CACHE), NUDGE_BATCH_SIZE: String(arg('batch', 2000)), COUPON_POOLS_DIR: `${rulesDir}/coupons`,
      SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), TWILIO_API_BASE: twilio.url, TWILIO_FROM: '+15005550006', LOG_LEVEL: 'error',
    };
    const config = loadConfig(env);
    const jsm = await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW });
    const js = jetstream(nc);

    let t0 = performance.now();
    let pending: Promise<unknown>[] = [];
    for (const event of benchmarkEvents(EVENTS, USERS, Date.now(), EVERYONE)) {
      pending.push(js.publish(partitionSubject(partitionOf(event.userId!, PARTITIONS)), JSON.stringify(event), { msgID: event.messageId }));
      if (pending.length >= 2000) { await Promise.all(pending); pending = []; }
    }
    await Promise.all(pending);
    const publishSeconds = (performance.now() - t0) / 1000;
    console.log(`published in ${publishSeconds.toFixed(1)} s (${Math.round(EVENTS / publishSeconds).toLocaleString()} msg/s); ${machineLoad()}`);

    // Baseline: same partition layout, consume + ack only.
    for (let p = 0; p < PARTITIONS; p++) {
      await jsm.consumers.add(EVENTS_STREAM, { durable_name: `bare-${p}`, filter_subject: partitionSubject(p), ack_policy: AckPolicy.Explicit, max_ack_pending: 1000 });
    }
    t0 = performance.now();
    let acked = 0;
    await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => {
      const consumer = await js.consumers.get(EVENTS_STREAM, `bare-${p}`);
      let left = (await consumer.info()).num_pending;
      if (left === 0) return;
      const messages = await consumer.consume({ max_messages: 256 });
      for await (const msg of messages) {
        await msg.ackAck();
        acked++;
        if (--left === 0) break;
      }
    }));
    const bareSeconds = (performance.now() - t0) / 1000;

    const worker = await startWorkerService(config, env, { log });
    const heapBefore = heapNow();
    const rssBefore = process.memoryUsage().rss;
    const handled = new RateWindow();
    let started = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const count = () => { handled.record(); if (handled.total === EVENTS) done(); };
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1000);
    t0 = performance.now();
    const engine = await startEngine({ config, log, onOutcome: (o) => { started += o.decisions.filter((d) => d.outcome === 'started').length; count(); }, onDeadLetter: count });
    await withDeadline(finished, 1800, 'the engine');
    const engineSeconds = (performance.now() - t0) / 1000;
    const cached = await sumOf(engine.metrics.registry, 'nudge_state_cache_people');
    const batches = await sumOf(engine.metrics.registry, 'nudge_batches_total');
    const heapAfter = heapNow();
    const rssAfter = process.memoryUsage().rss;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, rssAfter);
    await engine.stop();
    await worker.stop();

    const bareRate = acked / bareSeconds;
    const engineRate = handled.rate;
    console.log('');
    console.log('                          messages   seconds     msg/s');
    console.log(`bare consume+ack       ${String(acked).padStart(10)} ${bareSeconds.toFixed(1).padStart(9)} ${Math.round(bareRate).toString().padStart(9)}`);
    console.log(`engine (${3 + GENERATED_RULES} rules)     ${String(handled.total).padStart(10)} ${engineSeconds.toFixed(1).padStart(9)} ${Math.round(engineRate).toString().padStart(9)}   (rate from first to last commit; wall time includes start-up)`);
    console.log(`batches: ${batches.toLocaleString()} (${(handled.total / Math.max(1, batches)).toFixed(0)} messages each on average)`);
    console.log(`journeys started: ${started} (${((100 * started) / EVENTS).toFixed(2)}% of events)`);
    console.log(`memory: ${cached.toLocaleString()} people cached, ${gc ? Math.round((heapAfter - heapBefore) / Math.max(1, cached)).toLocaleString() + ' bytes of heap per cached person' : 'run with node --expose-gc for bytes per person'}; RSS ${(rssAfter / 2 ** 20).toFixed(0)} MiB at the end (grew ${((rssAfter - rssBefore) / 2 ** 20).toFixed(0)} MiB), peak ${(peakRss / 2 ** 20).toFixed(0)} MiB; the cache holds at most ${(CACHE * PARTITIONS).toLocaleString()} people`);
    console.log('');
    console.log(`engine / bare ratio: ${(engineRate / bareRate).toFixed(3)}`);
  } finally {
    await nc.close();
    await Promise.all([nats.stop(), temporal.stop(), smtp.stop(), twilio.stop(), webhooks.stop()]);
  }
}

async function sumOf(registry: import('prom-client').Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

await main();
