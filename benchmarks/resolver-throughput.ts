/**
 * Identity resolver throughput against bare routing baselines, measured in one run on the same
 * nats-server with the same events. Before each phase the streams are purged and the events are
 * published to the raw stream (publishEvent, 2,000 in flight); each phase must leave exactly its
 * messages on the partitions.
 *  - serial bare:    a durable pull consumer on the raw stream that, per message in order, republishes
 *                    the body to the partition of its userId (else anonymousId), messageId as
 *                    Nats-Msg-Id, then acks: the least a one-at-a-time routing stage must do.
 *  - pipelined bare: the raw stream read in batches (readInBatches, the resolver's batch sizes), each
 *                    message republished with publishToPerson (userId else anonymousId as the person)
 *                    without awaiting each, the batch's PubAcks awaited together, one checkpoint commit
 *                    per batch: the least the resolver loop's shape must do, with no identity graph.
 *  - resolver:       the real stage (engine/identity/resolver-loop.ts) over a fresh nudge_identity
 *                    bucket with the default identifier types, as the engine runs it (CachedIdentityStore).
 * Each phase also reports the CPU it cost per event in this process and in nats-server (Linux /proc):
 * on a small VM the two share the cores, so that is what bounds the stages, more than round trips.
 * Events, seeded: ~60% anonymous page/track (anonymousId only, 1–3 devices per person), ~25% logged-in
 * tracks (userId + anonymousId), ~10% identify (userId + anonymousId, traits email and phone), ~5% alias.
 * Phones are "+1 415 555 0xxx", 1,000 numbers: people share them, and since userId is unique, those
 * links are refused (the refusal path is part of what is measured).
 * Usage: npm run bench:resolve -- [--events 50000] [--users 10000] [--partitions 16] [--resolver-only] [--async-traces]
 *   --resolver-only    skips the baselines (for `npx tsx --cpu-prof benchmarks/resolver-throughput.ts …`);
 *   --async-traces     connects without noAsyncTraces (nats.js then captures a stack per request: ~20% of
 *                      the resolver's CPU in the profile); the engine connects with noAsyncTraces, as here by default.
 */
import { readFileSync } from 'node:fs';
import { AckPolicy, DeliverPolicy, jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNats } from '../dev/servers/nats';
import type { EventEnvelope } from '../engine/events/envelope';
import { publishEvent } from '../platform/nats/publisher';
import { CONTROL_HEADER, EVENTS_STREAM, PERSON_HEADER, partitionOf, partitionSubject, RAW_STREAM, RAW_SUBJECT } from '../engine/events/subjects';
import { IdentifierTypes } from '../engine/events/identifier-types';
import { IdentityResolver } from '../engine/identity/identity-resolver';
import { IDENTITY_BUCKET, KvIdentityStore } from '../engine/identity/identity-store';
import { CachedIdentityStore } from '../engine/identity/cached-identity-store';
import { publishToPerson } from '../platform/nats/partition-publish';
import { RESOLVER_BATCHES, runResolverLoop } from '../engine/identity/resolver-loop';
import { readInBatches } from '../platform/nats/stream-batches';
import { createLogger } from '../platform/logger';
import { ensureStreams, openBucket } from '../platform/nats/setup';
import { CheckpointStore } from '../engine/ownership/checkpoints';
import { arg, machineLoad, mulberry32 } from './bench-support';

const EVENTS = arg('events', 50_000);
const USERS = arg('users', 10_000);
const PARTITIONS = arg('partitions', 16);
const WARMUP_EVENTS = Math.min(2_000, EVENTS);
const RESOLVER_ONLY = process.argv.includes('--resolver-only');
const NO_ASYNC_TRACES = !process.argv.includes('--async-traces');
const BARE_CONSUMER = 'bench-bare-router';
const PIPELINED_TASK = 'bench.pipelined-bare';

/** Segment envelopes of `users` people; ids carry `prefix` (people) and messageIds are `<i>`. */
function sampleEvents(prefix: string, count: number, users: number): EventEnvelope[] {
  const random = mulberry32(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const people = Array.from({ length: users }, (_, i) => ({
    userId: `${prefix}-member-${i}`,
    devices: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, d) => `${prefix}-device-${i}-${d}`),
    email: `Member.${i}@${prefix}.example.com`,
    phone: `+1 415 555 0${String(Math.floor(random() * 1000)).padStart(3, '0')}`,
  }));
  const pages = ['home', 'pricing', 'docs', 'blog', 'about'];
  const context = { library: { name: 'analytics.js', version: '5.2.0' } };
  const now = Date.now();
  const events: EventEnvelope[] = [];
  for (let i = 0; i < count; i++) {
    const person = pick(people);
    const anonymousId = pick(person.devices);
    const userId = person.userId;
    const base = { messageId: String(i), timestamp: new Date(now - Math.floor((1 - i / count) * 3 * 86_400_000)).toISOString(), context };
    const r = random();
    const page = pick(pages);
    if (r < 0.35) events.push({ type: 'page', name: page, properties: { path: `/${page}`, url: `https://shop.test/${page}` }, anonymousId, ...base });
    else if (r < 0.6) events.push({ type: 'track', event: 'product_viewed', properties: { product: `p${Math.floor(random() * 100)}` }, anonymousId, ...base });
    else if (r < 0.85) events.push({ type: 'track', event: pick(['product_added', 'order_completed']), properties: { amount: 10 }, userId, anonymousId, ...base });
    else if (r < 0.95) events.push({ type: 'identify', traits: { email: person.email, phone: person.phone }, userId, anonymousId, ...base });
    else events.push({ type: 'alias', previousId: anonymousId, userId, ...base });
  }
  return events;
}

const inPhase = (phase: string, events: EventEnvelope[]) => events.map((event) => ({ ...event, messageId: `${phase}-${event.messageId}` }));

/** Purges the streams and publishes the events to the raw stream, 2,000 in flight; returns seconds. */
async function fillRawStream(js: JetStreamClient, jsm: JetStreamManager, events: EventEnvelope[]): Promise<number> {
  await jsm.streams.purge(RAW_STREAM);
  await jsm.streams.purge(EVENTS_STREAM);
  const t0 = performance.now();
  let pending: Promise<unknown>[] = [];
  let duplicates = 0;
  for (const event of events) {
    pending.push(publishEvent(js, event).then((result) => { if (result === 'duplicate') duplicates++; }));
    if (pending.length >= 2000) { await Promise.all(pending); pending = []; }
  }
  await Promise.all(pending);
  const seconds = (performance.now() - t0) / 1000;
  const stored = (await jsm.streams.info(RAW_STREAM)).state.messages;
  if (stored !== events.length || duplicates) throw new Error(`raw stream holds ${stored} of ${events.length} events (${duplicates} duplicates)`);
  return seconds;
}

/** Serial baseline: per raw message in order, republish its body to its partition, then ack. */
async function routeBare(js: JetStreamClient, count: number): Promise<number> {
  const t0 = performance.now();
  const consumer = await js.consumers.get(RAW_STREAM, BARE_CONSUMER);
  const messages = await consumer.consume({ max_messages: 256 });
  let left = count;
  for await (const msg of messages) {
    const event = msg.json<{ messageId: string; userId?: string; anonymousId?: string }>();
    await js.publish(partitionSubject(partitionOf(event.userId ?? event.anonymousId!, PARTITIONS)), msg.data, { msgID: event.messageId });
    await msg.ackAck();
    if (--left === 0) break;
  }
  return (performance.now() - t0) / 1000;
}

/** Pipelined baseline: the resolver loop's shape (batches, unawaited publishes, one commit per batch) without the graph. */
async function routePipelined(js: JetStreamClient, jsm: JetStreamManager, checkpoints: CheckpointStore, count: number): Promise<number> {
  const afterSeq = (await jsm.streams.info(RAW_STREAM)).state.first_seq - 1;
  let { revision } = await checkpoints.load(PIPELINED_TASK);
  let left = count;
  const stop = new AbortController();
  const t0 = performance.now();
  await readInBatches(js, RAW_STREAM, RAW_SUBJECT, afterSeq, stop.signal, async (batch) => {
    await Promise.all(batch.map((msg) => {
      const event = msg.json<EventEnvelope>();
      return publishToPerson(js, PARTITIONS, event.userId ?? event.anonymousId!, event);
    }));
    revision = await checkpoints.commit(PIPELINED_TASK, batch[batch.length - 1]!.seq, revision, 'bench');
    if ((left -= batch.length) <= 0) stop.abort();
  }, RESOLVER_BATCHES);
  return (performance.now() - t0) / 1000;
}

interface Resolution {
  seconds: number;
  resolved: number;
  deadLetters: number;
  created: number;
  linked: number;
  merges: number;
  refusals: number;
  rejected: number;
  /** Keys read from the KV bucket (cache misses, most of them in the batch's warm-up, a few requests per batch), per event. */
  graphReadsPerEvent?: number;
  /** Compare-and-set writes to the KV bucket, per event. */
  graphWritesPerEvent?: number;
}

/** The engine's KV store, counting the writes. */
class CountingKvStore extends KvIdentityStore {
  writes = 0;

  override putIdentifier(...args: Parameters<KvIdentityStore['putIdentifier']>) {
    this.writes++;
    return super.putIdentifier(...args);
  }

  override putPerson(...args: Parameters<KvIdentityStore['putPerson']>) {
    this.writes++;
    return super.putPerson(...args);
  }
}

/** The real stage on a fresh identity bucket, run until every event has been resolved or dead-lettered and committed. */
async function resolveAll(nc: NatsConnection, js: JetStreamClient, checkpoints: CheckpointStore, count: number): Promise<Resolution & { bucket: KV }> {
  const bucket = await openBucket(nc, IDENTITY_BUCKET);
  const kv = new CountingKvStore(bucket);
  const store = new CachedIdentityStore(kv); // as the engine runs it
  const resolver = new IdentityResolver(store, IdentifierTypes.defaults('US'));
  const tally: Resolution = { seconds: 0, resolved: 0, deadLetters: 0, created: 0, linked: 0, merges: 0, refusals: 0, rejected: 0 };
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // The loop reports a batch only once its checkpoint is committed: the count is reached when the last one is.
  const counted = () => { if (tally.resolved + tally.deadLetters === count) done(); };
  const stop = new AbortController();
  const t0 = performance.now();
  const loop = runResolverLoop({
    js, resolver, store, partitions: PARTITIONS, log: createLogger('bench', 'error'),
    checkpoints, owner: 'bench', owns: () => true,
    onResolved: (resolution) => {
      tally.resolved++;
      if (!('internal' in resolution)) {
        tally.created += Number(resolution.created);
        tally.linked += resolution.linked.length;
        tally.merges += resolution.merges.length;
        tally.refusals += resolution.refusals.length;
        tally.rejected += resolution.rejected.length;
      }
      counted();
    },
    onDeadLetter: () => { tally.deadLetters++; counted(); },
  }, stop.signal);
  await Promise.race([finished, loop.then(() => { throw new Error('the resolver stopped before resolving every event'); })]);
  tally.seconds = (performance.now() - t0) / 1000;
  stop.abort();
  await loop;
  tally.graphReadsPerEvent = store.misses / count;
  tally.graphWritesPerEvent = kv.writes / count;
  return { ...tally, bucket };
}

/** What the partitions hold: events and control messages, and messages not on their person's partition. */
async function partitionContents(js: JetStreamClient, jsm: JetStreamManager): Promise<{ events: number; controls: number; misrouted: number }> {
  const contents = { events: 0, controls: 0, misrouted: 0 };
  if ((await jsm.streams.info(EVENTS_STREAM)).state.messages === 0) return contents;
  const messages = await (await js.consumers.get(EVENTS_STREAM)).consume();
  for await (const msg of messages) {
    if (msg.headers?.get(CONTROL_HEADER)) contents.controls++;
    else contents.events++;
    const person = msg.headers?.get(PERSON_HEADER);
    if (person && msg.subject !== partitionSubject(partitionOf(person, PARTITIONS))) contents.misrouted++;
    if (msg.info.pending === 0) break;
  }
  return contents;
}

async function bucketKeys(bucket: KV): Promise<{ people: number; identifiers: number }> {
  const keys = { people: 0, identifiers: 0 };
  for await (const key of await bucket.keys()) {
    if (key.startsWith('p.')) keys.people++;
    else keys.identifiers++;
  }
  return keys;
}

/** VmRSS / VmHWM of this process in MiB (Linux /proc). */
function memory(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** CPU time used so far in ms: this process, and the nats-server (utime + stime in clock ticks of 10 ms). */
function cpuTime(pid: number | null): { client: number; server: number } {
  const usage = process.cpuUsage();
  let server = NaN;
  if (pid) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    server = (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return { client: (usage.user + usage.system) / 1000, server };
}

/** Runs `phase` and says how much CPU it cost, in µs per event, in this process and in nats-server. */
async function measuringCpu<T>(pid: number | null, phase: () => Promise<T>): Promise<T & { cpu: { client: number; server: number } }> {
  const before = cpuTime(pid);
  const result = await phase();
  const after = cpuTime(pid);
  const perEvent = (ms: number) => (1000 * ms) / EVENTS;
  return Object.assign(result as object, { cpu: { client: perEvent(after.client - before.client), server: perEvent(after.server - before.server) } }) as T & { cpu: { client: number; server: number } };
}

interface Baseline {
  label: string;
  seconds: number;
  contents: { events: number; controls: number; misrouted: number };
  cpu: { client: number; server: number };
}

async function main() {
  console.log(`nudge identity resolver benchmark: ${EVENTS.toLocaleString()} events, ${USERS.toLocaleString()} people, ${PARTITIONS} partitions; ${machineLoad()}`);
  const nats = await startNats();
  const nc = await connect({ servers: nats.url, noAsyncTraces: NO_ASYNC_TRACES });
  const pid = nats.pid; // to read nats-server's CPU time
  try {
    const jsm = await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: 86_400_000 });
    const js = jetstream(nc, { timeout: 5000 });
    const checkpoints = await CheckpointStore.open(nc);
    await jsm.consumers.add(RAW_STREAM, { durable_name: BARE_CONSUMER, filter_subject: RAW_SUBJECT, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 1000 });
    const baselines: { label: string; run: (count: number) => Promise<number> }[] = RESOLVER_ONLY ? [] : [
      { label: 'serial bare consume+republish+ack', run: (count) => routeBare(js, count) },
      { label: 'pipelined bare batch+republish+commit', run: (count) => routePipelined(js, jsm, checkpoints, count) },
    ];

    // Warm-up of every path (JIT, connections) on people of their own; the graph it made is dropped.
    const warmup = sampleEvents('warm', WARMUP_EVENTS, Math.min(USERS, 1_000));
    for (const [i, baseline] of baselines.entries()) {
      await fillRawStream(js, jsm, inPhase(`warm-bare${i}`, warmup));
      await baseline.run(WARMUP_EVENTS);
    }
    await fillRawStream(js, jsm, inPhase('warm-resolve', warmup));
    await (await resolveAll(nc, js, checkpoints, WARMUP_EVENTS)).bucket.destroy();

    const events = sampleEvents('bench', EVENTS, USERS);
    const share = (test: (event: EventEnvelope) => boolean) => `${((100 * events.filter(test).length) / EVENTS).toFixed(1)}%`;
    console.log(`events: ${share((e) => !e.userId)} anonymous page/track, ${share((e) => e.type === 'track' && Boolean(e.userId))} logged-in track, ${share((e) => e.type === 'identify')} identify, ${share((e) => e.type === 'alias')} alias`);
    const fills: number[] = [];
    const measured: Baseline[] = [];
    for (const [i, baseline] of baselines.entries()) {
      fills.push(await fillRawStream(js, jsm, inPhase(`bare${i}`, events)));
      const { seconds, cpu } = await measuringCpu(pid, async () => ({ seconds: await baseline.run(EVENTS) }));
      measured.push({ label: baseline.label, seconds, cpu, contents: await partitionContents(js, jsm) });
    }
    const memoryBefore = memory();

    fills.push(await fillRawStream(js, jsm, inPhase('resolve', events)));
    const resolution = await measuringCpu(pid, () => resolveAll(nc, js, checkpoints, EVENTS));
    const memoryAfter = memory();
    const resolved = await partitionContents(js, jsm);
    const keys = await bucketKeys(resolution.bucket);

    const rate = (seconds: number) => EVENTS / seconds;
    const cpu = (c: { client: number; server: number }) => `${Math.round(c.client).toString().padStart(10)} ${Math.round(c.server).toString().padStart(10)}`;
    const row = (label: string, seconds: number, c: { client: number; server: number }) => `${label.padEnd(40)}${String(EVENTS).padStart(8)} ${seconds.toFixed(1).padStart(8)} ${Math.round(rate(seconds)).toString().padStart(9)} ${cpu(c)}`;
    console.log(`raw stream filled at ${fills.map((f) => `${Math.round(EVENTS / f).toLocaleString()}`).join(', ')} msg/s`);
    console.log('');
    console.log(`${''.padEnd(40)}  events  seconds  events/s  µs CPU/ev  µs server`);
    for (const baseline of measured) console.log(row(baseline.label, baseline.seconds, baseline.cpu));
    console.log(row('identity resolver (resolver-loop)', resolution.seconds, resolution.cpu));
    console.log('');
    console.log(`resolver plans: people created ${resolution.created}, identifiers linked ${resolution.linked}, merges ${resolution.merges}, refusals ${resolution.refusals}, identifiers rejected ${resolution.rejected}; dead letters ${resolution.deadLetters}; KV keys read per event ${(resolution.graphReadsPerEvent ?? 0).toFixed(2)}, KV writes per event ${(resolution.graphWritesPerEvent ?? 0).toFixed(2)}`);
    console.log(`identity bucket ${IDENTITY_BUCKET}: ${keys.people + keys.identifiers} keys (${keys.people} people incl. merged-away, ${keys.identifiers} identifiers)`);
    console.log(`bench process RSS: ${memoryBefore.rss.toFixed(0)} MiB before the resolver phase, ${memoryAfter.rss.toFixed(0)} MiB after, peak ${memoryAfter.peak.toFixed(0)} MiB`);
    const bareOk = measured.every((b) => b.contents.events === EVENTS && b.contents.controls === 0 && b.contents.misrouted === 0);
    const ok = bareOk && resolved.events === EVENTS && resolution.deadLetters === 0 && resolved.controls === resolution.merges && resolved.misrouted === 0;
    const checks = [...measured.map((b) => `${b.label.split(' ')[0]} bare: ${b.contents.events}/${EVENTS} events`), `resolver: ${resolved.events}/${EVENTS} events + ${resolved.controls}/${resolution.merges} merge control messages, ${resolved.misrouted} off their person's partition`];
    console.log(`partitions hold expected messages: ${checks.join(', ')} -> ${ok ? 'ok' : 'MISMATCH'}`);
    for (const baseline of measured) console.log(`resolver / ${baseline.label.split(' ')[0]} bare ratio: ${(baseline.seconds / resolution.seconds).toFixed(3)}`);
    // The phases run one after the other on a machine others share: when its load changes between them
    // the rates' ratio moves with it, while CPU per event (this process + nats-server) mostly does not.
    const totalCpu = (c: { client: number; server: number }) => c.client + c.server;
    for (const baseline of measured) console.log(`resolver / ${baseline.label.split(' ')[0]} bare CPU ratio (bare's µs CPU per event / the resolver's, process + server): ${(totalCpu(baseline.cpu) / totalCpu(resolution.cpu)).toFixed(3)}`);
    console.log(`after the run: ${machineLoad()}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await nc.close();
    await nats.stop();
  }
}

await main();
