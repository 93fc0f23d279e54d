/**
 * Identity resolver throughput against a bare routing baseline, measured in one run on the same
 * nats-server with the same events. Before each phase the streams are purged and the events are
 * published to the raw stream (publishEvent, 2,000 in flight); each phase must leave exactly its
 * messages on the partitions.
 *  - baseline: a durable pull consumer on the raw stream that, per message in order, republishes the
 *              body to the partition of its userId (else anonymousId), messageId as Nats-Msg-Id, then
 *              acks: the least a routing stage must do, with no identity graph.
 *  - resolver: the real stage (engine/identity/resolver-consumer.ts) over a fresh nudge_identity
 *              bucket with the default identifier types: plan, merge control messages, compare-and-set
 *              commit, publish with Nudge-Person, ack.
 * Events, seeded: ~60% anonymous page/track (anonymousId only, 1–3 devices per person), ~25% logged-in
 * tracks (userId + anonymousId), ~10% identify (userId + anonymousId, traits email and phone), ~5% alias.
 * Phones are "+1 415 555 0xxx", 1,000 numbers: people share them, and since userId is unique, those
 * links are refused (the refusal path is part of what is measured).
 * Usage: npm run bench:resolve -- [--events 50000] [--users 10000] [--partitions 16]
 */
import { readFileSync } from 'node:fs';
import { AckPolicy, DeliverPolicy, jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNats } from '../dev/servers/nats';
import type { EventEnvelope } from '../engine/events/envelope';
import { publishEvent } from '../engine/events/publisher';
import { CONTROL_HEADER, EVENTS_STREAM, PERSON_HEADER, partitionOf, partitionSubject, RAW_STREAM, RAW_SUBJECT } from '../engine/events/subjects';
import { IdentifierTypes } from '../engine/identity/identifier-types';
import { IdentityResolver } from '../engine/identity/identity-resolver';
import { IDENTITY_BUCKET, KvIdentityStore } from '../engine/identity/identity-store';
import { CachedIdentityStore } from '../engine/identity/cached-identity-store';
import { consumeRawEvents, ensureResolverConsumer } from '../engine/identity/resolver-consumer';
import { createLogger } from '../engine/logger';
import { ensureStreams, openBucket } from '../engine/nats/setup';
import { arg, mulberry32 } from './bench-support';

const EVENTS = arg('events', 50_000);
const USERS = arg('users', 10_000);
const PARTITIONS = arg('partitions', 16);
const WARMUP_EVENTS = Math.min(2_000, EVENTS);
const BARE_CONSUMER = 'bench-bare-router';

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

/** Baseline: per raw message in order, republish its body to its partition, then ack. */
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

interface Resolution {
  seconds: number;
  resolved: number;
  deadLetters: number;
  created: number;
  linked: number;
  merges: number;
  refusals: number;
  rejected: number;
  /** Share of graph reads the resolver's cache answered. */
  cacheHitRate?: number;
}

/** The real stage on a fresh identity bucket, run until every event has been resolved or dead-lettered. */
async function resolveAll(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager, count: number): Promise<Resolution & { bucket: KV }> {
  const bucket = await openBucket(nc, IDENTITY_BUCKET);
  const store = new CachedIdentityStore(new KvIdentityStore(bucket)); // as the engine runs it
  const resolver = new IdentityResolver(store, IdentifierTypes.defaults('US'));
  await ensureResolverConsumer(jsm);
  const tally: Resolution = { seconds: 0, resolved: 0, deadLetters: 0, created: 0, linked: 0, merges: 0, refusals: 0, rejected: 0 };
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const counted = () => { if (tally.resolved + tally.deadLetters === count) done(); };
  const stop = new AbortController();
  const t0 = performance.now();
  const loop = consumeRawEvents({
    js, resolver, store, partitions: PARTITIONS, log: createLogger('bench', 'error'),
    onResolved: (plan) => {
      tally.resolved++;
      if (!('internal' in plan)) {
        tally.created += Number(plan.created);
        tally.linked += plan.linked.length;
        tally.merges += plan.merges.length;
        tally.refusals += plan.refusals.length;
        tally.rejected += plan.rejected.length;
      }
      counted();
    },
    onDeadLetter: () => { tally.deadLetters++; counted(); },
  }, stop.signal);
  await Promise.race([finished, loop.then(() => { throw new Error('the resolver stopped before resolving every event'); })]);
  tally.seconds = (performance.now() - t0) / 1000;
  stop.abort();
  await loop;
  tally.cacheHitRate = store.hits / Math.max(1, store.hits + store.misses);
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

async function main() {
  console.log(`nudge identity resolver benchmark: ${EVENTS.toLocaleString()} events, ${USERS.toLocaleString()} people, ${PARTITIONS} partitions`);
  const nats = await startNats();
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: 86_400_000 });
    const js = jetstream(nc, { timeout: 5000 });
    await jsm.consumers.add(RAW_STREAM, { durable_name: BARE_CONSUMER, filter_subject: RAW_SUBJECT, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 1000 });

    // Warm-up of both paths (JIT, connections) on people of their own; the graph it made is dropped.
    const warmup = sampleEvents('warm', WARMUP_EVENTS, Math.min(USERS, 1_000));
    await fillRawStream(js, jsm, inPhase('warm-bare', warmup));
    await routeBare(js, WARMUP_EVENTS);
    await fillRawStream(js, jsm, inPhase('warm-resolve', warmup));
    await (await resolveAll(nc, js, jsm, WARMUP_EVENTS)).bucket.destroy();

    const events = sampleEvents('bench', EVENTS, USERS);
    const share = (test: (event: EventEnvelope) => boolean) => `${((100 * events.filter(test).length) / EVENTS).toFixed(1)}%`;
    console.log(`events: ${share((e) => !e.userId)} anonymous page/track, ${share((e) => e.type === 'track' && Boolean(e.userId))} logged-in track, ${share((e) => e.type === 'identify')} identify, ${share((e) => e.type === 'alias')} alias`);
    const bareFill = await fillRawStream(js, jsm, inPhase('bare', events));
    const bareSeconds = await routeBare(js, EVENTS);
    const bare = await partitionContents(js, jsm);
    const memoryBefore = memory();

    const resolveFill = await fillRawStream(js, jsm, inPhase('resolve', events));
    const resolution = await resolveAll(nc, js, jsm, EVENTS);
    const memoryAfter = memory();
    const resolved = await partitionContents(js, jsm);
    const keys = await bucketKeys(resolution.bucket);

    const bareRate = EVENTS / bareSeconds;
    const resolveRate = EVENTS / resolution.seconds;
    const row = (label: string, seconds: number, rate: number) => `${label.padEnd(32)}${String(EVENTS).padStart(8)} ${seconds.toFixed(1).padStart(8)} ${Math.round(rate).toString().padStart(9)}`;
    console.log(`raw stream filled in ${bareFill.toFixed(1)} s and ${resolveFill.toFixed(1)} s (${Math.round(EVENTS / bareFill).toLocaleString()} and ${Math.round(EVENTS / resolveFill).toLocaleString()} msg/s)`);
    console.log('');
    console.log('                                  events  seconds  events/s');
    console.log(row('bare consume+republish+ack', bareSeconds, bareRate));
    console.log(row('identity resolver', resolution.seconds, resolveRate));
    console.log('');
    console.log(`resolver / bare ratio: ${(resolveRate / bareRate).toFixed(3)}`);
    console.log(`resolver plans: people created ${resolution.created}, identifiers linked ${resolution.linked}, merges ${resolution.merges}, refusals ${resolution.refusals}, identifiers rejected ${resolution.rejected}; dead letters ${resolution.deadLetters}; graph reads answered by the cache ${((resolution.cacheHitRate ?? 0) * 100).toFixed(0)}%`);
    console.log(`identity bucket ${IDENTITY_BUCKET}: ${keys.people + keys.identifiers} keys (${keys.people} people incl. merged-away, ${keys.identifiers} identifiers)`);
    console.log(`bench process RSS: ${memoryBefore.rss.toFixed(0)} MiB before the resolver phase, ${memoryAfter.rss.toFixed(0)} MiB after, peak ${memoryAfter.peak.toFixed(0)} MiB`);
    const ok = bare.events === EVENTS && bare.controls === 0
      && resolved.events === EVENTS && resolution.deadLetters === 0 && resolved.controls === resolution.merges && resolved.misrouted === 0;
    const checks = [`bare: ${bare.events}/${EVENTS} events`, `resolver: ${resolved.events}/${EVENTS} events + ${resolved.controls}/${resolution.merges} merge control messages, ${resolved.misrouted} off their person's partition`];
    console.log(`partitions hold expected messages: ${checks.join(', ')} -> ${ok ? 'ok' : 'MISMATCH'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await nc.close();
    await nats.stop();
  }
}

await main();
