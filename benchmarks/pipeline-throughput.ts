/**
 * The whole pipeline, raw stream → identity resolver → person partitions → engine, against a bare
 * pipeline of the same hops, in one run on the same servers and over the same raw messages:
 *  - bare:  the raw stream read in order (ordered consumer, the resolver's batch sizes), each message
 *           republished to its person's partition subject (userId else anonymousId) of a stream of its
 *           own, pipelined (no await per publish; the batch's PubAcks awaited together), while a durable
 *           pull consumer per partition receives and acks: events/s until the last ack. It runs before
 *           the engine and again after it, and nudge is compared with their mean (on a shared machine
 *           the servers' speed drifts);
 *  - nudge: the real engine in process (resolver, partition loops with state cache and checkpoints,
 *           journey starts on Temporal) with the example rules in rules/: events/s from startEngine
 *           until every event is handled (an outcome, counted as test/support/stack.ts counts, or a
 *           dead letter);
 *  - latency: events published at half nudge's measured rate for --latency-seconds, and the time from
 *           each triggering event's publish to the engine's 'started' outcome for its journey (matched
 *           by the journey id's last segment, the trigger's messageId; entry policy `once` journeys,
 *           whose id ends in "once", cannot be matched and are counted as untimed).
 * Events, seeded: ~97% anonymous page views (devices only) over --users people with 1–3 devices each,
 * ~2% identify (userId + a device: links devices, merges people who used several), ~0.4% signed_up
 * (userId + device: trial-activation, once), ~0.5% product_added (device: cart-abandonment, once per
 * 7 days), ~0.3% order_completed; pricing views rarely reach pricing-hesitation's 3 in 7 days.
 * No worker runs: journeys wait in Temporal, which is all the engine waits for.
 * Usage: npm run bench:pipeline -- [--events 50000] [--users 10000] [--partitions 16] [--latency-seconds 20] [--timeout 900]
 *   --engine-only skips the bare pipeline (for `node --cpu-prof --import tsx benchmarks/pipeline-throughput.ts …`).
 */
import { fileURLToPath } from 'node:url';
import { AckPolicy, jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { startNats } from '../dev/servers/nats';
import { startTemporal } from '../dev/servers/temporal';
import { loadConfig } from '../platform/config';
import { startEngine } from '../engine/engine-service';
import type { EventEnvelope } from '../engine/events/envelope';
import { publishEvent } from '../platform/nats/publisher';
import { PERSON_HEADER, partitionOf, RAW_STREAM, RAW_SUBJECT } from '../engine/events/subjects';
import { RESOLVER_BATCHES } from '../engine/identity/resolver-loop';
import type { EventOutcome } from '../engine/decide/decide';
import { readInBatches } from '../platform/nats/stream-batches';
import { createLogger } from '../platform/logger';
import { ensureStreams } from '../platform/nats/setup';
import { arg, finishesPublishedEvent, machineLoad, mulberry32, percentile, pick, withDeadline, zipfPicker } from './bench-support';

const EVENTS = arg('events', 50_000);
const USERS = arg('users', 10_000);
const PARTITIONS = arg('partitions', 16);
const LATENCY_SECONDS = arg('latency-seconds', 20);
const TIMEOUT_SECONDS = arg('timeout', 900);
const WARMUP_EVENTS = Math.min(2_000, EVENTS);
const ENGINE_ONLY = process.argv.includes('--engine-only');
const RULES_DIR = fileURLToPath(new URL('../rules', import.meta.url));
const DAY_MS = 86_400_000;

/** A seeded source of Segment envelopes over `users` people; each call makes the next event. */
function trafficOf(users: number): (messageId: string, timestamp: string) => EventEnvelope {
  const random = mulberry32(42);
  const people = Array.from({ length: users }, (_, i) => ({
    userId: `member-${i}`,
    devices: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, d) => `device-${i}-${d}`),
    email: `member.${i}@shop.example.com`,
  }));
  const page = zipfPicker(['home', 'pricing', 'products', 'docs', 'blog', 'about', 'careers', 'changelog', 'contact', 'legal']);
  const context = { library: { name: 'analytics.js', version: '5.2.0' } };
  return (messageId, timestamp) => {
    const person = pick(random, people);
    const anonymousId = pick(random, person.devices);
    const base = { messageId, timestamp, context };
    const r = random();
    if (r < 0.004) return { type: 'track', event: 'signed_up', properties: { plan: pick(random, ['trial', 'team', 'business']) }, userId: person.userId, anonymousId, ...base };
    if (r < 0.009) return { type: 'track', event: 'product_added', properties: { product: `p${Math.floor(random() * 200)}`, price: 20 }, anonymousId, ...base };
    if (r < 0.012) return { type: 'track', event: 'order_completed', properties: { amount: 40 }, anonymousId, ...base };
    if (r < 0.032) return { type: 'identify', traits: { email: person.email, first_name: `Member ${person.userId.slice(7)}` }, userId: person.userId, anonymousId, ...base };
    const name = page(random);
    return { type: 'page', name, properties: { page: name, path: `/${name}`, url: `https://shop.example.com/${name}`, title: name }, anonymousId, ...base };
  };
}

async function fillRawStream(js: JetStreamClient, jsm: JetStreamManager, events: EventEnvelope[]): Promise<number> {
  const t0 = performance.now();
  let pending: Promise<unknown>[] = [];
  for (const event of events) {
    pending.push(publishEvent(js, event));
    if (pending.length >= 2000) { await Promise.all(pending); pending = []; }
  }
  await Promise.all(pending);
  const stored = (await jsm.streams.info(RAW_STREAM)).state.messages;
  if (stored !== events.length) throw new Error(`raw stream holds ${stored} of ${events.length} events`);
  return (performance.now() - t0) / 1000;
}

/**
 * The bare pipeline over the first `count` raw messages into stream `stream` (`<stream>.<p>`): route
 * (ordered read, pipelined republish) and consume + ack every partition, concurrently. Seconds until
 * the last ack.
 */
async function runBare(js: JetStreamClient, jsm: JetStreamManager, stream: string, count: number): Promise<number> {
  const prefix = stream.toLowerCase();
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.*`], duplicate_window: DAY_MS * 1_000_000 });
  for (let p = 0; p < PARTITIONS; p++) {
    await jsm.consumers.add(stream, { durable_name: `bare-${p}`, filter_subject: `${prefix}.${p}`, ack_policy: AckPolicy.Explicit, max_ack_pending: 1000 });
  }
  const consumers = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => js.consumers.get(stream, `bare-${p}`)));
  let acked = 0;
  let allAcked!: () => void;
  const finished = new Promise<void>((resolve) => (allAcked = resolve));
  const t0 = performance.now();
  const subscriptions = await Promise.all(consumers.map((consumer) => consumer.consume({ max_messages: 1000 })));
  const consuming = Promise.all(subscriptions.map(async (messages) => {
    for await (const msg of messages) {
      msg.ack();
      if (++acked === count) allAcked();
    }
  }));
  const routed = new AbortController();
  let left = count;
  const routing = readInBatches(js, RAW_STREAM, RAW_SUBJECT, 0, routed.signal, async (batch) => {
    const mine = batch.slice(0, left);
    await Promise.all(mine.map((msg) => {
      const event = msg.json<{ messageId: string; userId?: string; anonymousId?: string }>();
      const person = event.userId ?? event.anonymousId!;
      const h = headers();
      h.set(PERSON_HEADER, person);
      return js.publish(`${prefix}.${partitionOf(person, PARTITIONS)}`, msg.data, { msgID: event.messageId, headers: h });
    }));
    if ((left -= mine.length) === 0) routed.abort();
  }, RESOLVER_BATCHES);
  await withDeadline(finished, TIMEOUT_SECONDS, `the bare pipeline into ${stream}`);
  const seconds = (performance.now() - t0) / 1000;
  await routing;
  await Promise.all(subscriptions.map((messages) => messages.close()));
  await consuming;
  return seconds;
}

/** What the engine reported, and a way to wait until a number of published events were handled. */
class EngineTally {
  handled = 0;
  deadLetters = 0;
  merges = 0;
  forwarded = 0;
  readonly started = new Map<string, number>();
  /** publish time (performance.now()) by messageId, for the latency phase */
  readonly publishedAt = new Map<string, number>();
  readonly latencies: number[] = [];
  /** The slowest timed journey: its trigger's messageId and latency. */
  slowest = { messageId: '', ms: -1 };
  untimed = 0;
  private waiter: { target: number; resolve: () => void } | null = null;

  onOutcome = (outcome: EventOutcome): void => {
    const now = performance.now();
    if (outcome.kind === 'merge' && !outcome.forwardedTo) this.merges++;
    if (outcome.kind !== 'merge' && outcome.forwardedTo) this.forwarded++;
    for (const decision of outcome.decisions) {
      if (decision.outcome !== 'started') continue;
      this.started.set(decision.ruleId, (this.started.get(decision.ruleId) ?? 0) + 1);
      const messageId = decision.workflowId.slice(decision.workflowId.lastIndexOf('/') + 1);
      const published = this.publishedAt.get(messageId);
      if (published !== undefined) {
        this.latencies.push(now - published);
        if (now - published > this.slowest.ms) this.slowest = { messageId, ms: now - published };
      }
      else if (this.publishedAt.size) this.untimed++;
    }
    if (finishesPublishedEvent(outcome)) this.bump();
  };

  onDeadLetter = (): void => {
    this.deadLetters++;
    this.bump();
  };

  get starts(): number {
    return [...this.started.values()].reduce((sum, n) => sum + n, 0);
  }

  handledAll(target: number): Promise<void> {
    if (this.handled >= target) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = { target, resolve }));
  }

  private bump(): void {
    if (++this.handled >= (this.waiter?.target ?? Infinity)) {
      this.waiter!.resolve();
      this.waiter = null;
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes `rate` events/s for `seconds`, paced every few ms, recording each one's publish time. Returns the events sent and the seconds taken. */
async function publishPaced(js: JetStreamClient, next: (messageId: string, timestamp: string) => EventEnvelope, tally: EngineTally, rate: number, seconds: number): Promise<{ sent: number; seconds: number }> {
  const total = Math.max(1, Math.round(rate * seconds));
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.ceil(((performance.now() - t0) / 1000) * rate));
    const pending: Promise<unknown>[] = [];
    for (; sent < due; sent++) {
      const event = next(`latency-${sent}`, new Date().toISOString());
      tally.publishedAt.set(event.messageId, performance.now());
      pending.push(publishEvent(js, event));
    }
    await Promise.all(pending);
    await sleep(5);
  }
  return { sent, seconds: (performance.now() - t0) / 1000 };
}

async function main() {
  console.log(`nudge pipeline benchmark: ${EVENTS.toLocaleString()} events, ${USERS.toLocaleString()} people, ${PARTITIONS} partitions; ${machineLoad()}`);
  const [nats, temporal] = await Promise.all([startNats(), startTemporal({ uiPort: null })]);
  const nc = await connect({ servers: nats.url, noAsyncTraces: true }); // as the engine connects
  try {
    const config = loadConfig({
      NATS_URL: nats.url, TEMPORAL_ADDRESS: temporal.address, NUDGE_TASK_QUEUE: 'bench-pipeline', LOG_LEVEL: 'error',
      NUDGE_RULES_DIR: RULES_DIR, NUDGE_TAGS_DIR: `${RULES_DIR}/tags`, NUDGE_PARTITIONS: String(PARTITIONS),
    });
    const jsm = await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW });
    const js = jetstream(nc);
    const next = trafficOf(USERS);
    const start = Date.now() - 3 * DAY_MS;
    const events = Array.from({ length: EVENTS }, (_, i) => next(`bench-${i}`, new Date(start + Math.floor((i / EVENTS) * 3 * DAY_MS)).toISOString()));
    const share = (test: (event: EventEnvelope) => boolean) => `${((100 * events.filter(test).length) / EVENTS).toFixed(1)}%`;
    console.log(`events: ${share((e) => e.type === 'page')} page views, ${share((e) => e.type === 'identify')} identify, ${share((e) => e.type === 'track' && e.event === 'signed_up')} signed_up, ${share((e) => e.type === 'track' && e.event === 'product_added')} product_added, ${share((e) => e.type === 'track' && e.event === 'order_completed')} order_completed`);
    const fillSeconds = await fillRawStream(js, jsm, events);
    console.log(`raw stream filled at ${Math.round(EVENTS / fillSeconds).toLocaleString()} msg/s`);

    const bareSeconds: number[] = [];
    if (!ENGINE_ONLY) {
      await runBare(js, jsm, 'BENCH_BARE_WARMUP', WARMUP_EVENTS);
      bareSeconds.push(await runBare(js, jsm, 'BENCH_BARE_BEFORE', EVENTS));
    }

    const tally = new EngineTally();
    const t0 = performance.now();
    const engine = await startEngine({ config, log: createLogger('bench', 'error'), onOutcome: tally.onOutcome, onDeadLetter: tally.onDeadLetter });
    let latency: { sent: number; seconds: number; rate: number; drainSeconds: number };
    let nudgeSeconds: number;
    let throughput: { starts: number; byRule: string; merges: number; forwarded: number; deadLetters: number };
    try {
      await withDeadline(tally.handledAll(EVENTS), TIMEOUT_SECONDS, 'the engine');
      nudgeSeconds = (performance.now() - t0) / 1000;
      throughput = { starts: tally.starts, byRule: [...tally.started].map(([rule, n]) => `${rule} ${n}`).join(', '), merges: tally.merges, forwarded: tally.forwarded, deadLetters: tally.deadLetters };

      const rate = EVENTS / nudgeSeconds / 2;
      const published = await withDeadline(publishPaced(js, next, tally, rate, LATENCY_SECONDS), LATENCY_SECONDS * 3 + 60, 'the latency phase\'s publishing');
      const publishedAll = performance.now();
      await withDeadline(tally.handledAll(EVENTS + published.sent), 120, 'the engine, on the latency phase\'s events');
      latency = { ...published, rate, drainSeconds: (performance.now() - publishedAll) / 1000 };
    } finally {
      await engine.stop();
    }
    if (!ENGINE_ONLY) bareSeconds.push(await runBare(js, jsm, 'BENCH_BARE_AFTER', EVENTS));

    const bareRate = bareSeconds.reduce((sum, seconds) => sum + EVENTS / seconds, 0) / bareSeconds.length;
    const nudgeRate = EVENTS / nudgeSeconds;
    const row = (label: string, seconds: number) => `${label.padEnd(48)}${String(EVENTS).padStart(8)} ${seconds.toFixed(1).padStart(8)} ${Math.round(EVENTS / seconds).toString().padStart(9)}`;
    console.log('');
    console.log(`${''.padEnd(48)}  events  seconds  events/s`);
    for (const [i, seconds] of bareSeconds.entries()) console.log(row(`bare raw → route → partitions → ack (${i ? 'after' : 'before'})`, seconds));
    console.log(row('nudge (resolver, partitions, engine, Temporal)', nudgeSeconds));
    console.log(`nudge: ${throughput.starts} journeys started (${((100 * throughput.starts) / EVENTS).toFixed(2)}% of events: ${throughput.byRule}), ${throughput.merges} merges, ${throughput.forwarded} events forwarded, ${throughput.deadLetters} dead letters`);
    console.log('');
    const ms = (value: number) => `${value.toFixed(0)} ms`;
    console.log(`latency at ${Math.round(latency.rate)} events/s (half of nudge's rate; ${latency.sent} events in ${latency.seconds.toFixed(1)} s): publish → journey started, ${tally.latencies.length} journeys timed (${tally.untimed} untimed: entry policy once, or a merge re-evaluating an earlier event)`);
    console.log(`  p50 ${ms(percentile(tally.latencies, 50))}   p99 ${ms(percentile(tally.latencies, 99))}   max ${ms(percentile(tally.latencies, 100))} (${tally.slowest.messageId}, published ${(Number(tally.slowest.messageId.split('-')[1]) / latency.rate).toFixed(1)} s into the phase)   (every event handled ${latency.drainSeconds.toFixed(1)} s after the last publish: more than a second means the engine fell behind)`);
    console.log(`load when done: ${machineLoad()}`);
    if (!ENGINE_ONLY) console.log(`nudge / bare ratio: ${(nudgeRate / bareRate).toFixed(3)}   (bare: mean of before and after, ${Math.round(bareRate)} events/s; goal >= 0.4)`);
    if (throughput.deadLetters) process.exitCode = 1;
  } finally {
    await nc.close();
    await Promise.all([nats.stop(), temporal.stop()]);
  }
}

await main();
