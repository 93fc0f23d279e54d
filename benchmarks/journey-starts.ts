/**
 * Journey starts per second, nudge against a bare Temporal client, in one run on the same servers:
 *  - bare:  TemporalJourneyStarter.start (the engine's own start call: search attributes, memo,
 *           REJECT_DUPLICATE) at --concurrency C, for journey inputs the engine's pure core decides for
 *           the same kind of event (decideEvent on a new person), so both send the same requests;
 *  - nudge: the real engine in process (resolver, partition loops, state, checkpoints) with one rule
 *           that starts a journey on every `signup` (entry everyTime, one short wait step), the events
 *           published to the raw stream before it starts, NUDGE_PARTITIONS × NUDGE_CONCURRENCY = C.
 * Both rates run from the first started journey to the last (the engine reports after each commit, so
 * what its first report covers is not counted). On a shared machine the servers' speed drifts, so the
 * runs alternate — bare, nudge, bare, … (--rounds nudge runs, each on STARTS new people) — each nudge
 * run is compared with the mean of the bare runs either side of it, and the median ratio is reported.
 * No worker runs: a start is accepted by Temporal and the journey waits for a worker, which is all the
 * engine waits for.
 * Usage: npm run bench:starts -- [--starts 2000] [--concurrency 64] [--partitions 4] [--rounds 3] [--timeout 600]
 *   --engine-only skips the bare run (for `node --cpu-prof --import tsx benchmarks/journey-starts.ts …`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { connectTemporalClient } from '../platform/temporal/temporal-connection';
import { startNats } from '../dev/servers/nats';
import { startTemporal } from '../dev/servers/temporal';
import { globalGuardrails, loadConfig, pathsOf, waitScaleOf, type Config } from '../platform/config';
import { startEngine } from '../engine/engine-service';
import type { EventEnvelope } from '../engine/events/envelope';
import { publishEvent } from '../platform/nats/publisher';
import { RAW_STREAM } from '../engine/events/subjects';
import { concurrently } from '../engine/ingest/concurrently';
import { decideEvent } from '../engine/decide/decide';
import { createLogger } from '../platform/logger';
import { RuleIndex } from '../engine/match/rule-index';
import { ensureStreams } from '../platform/nats/setup';
import { emptyState } from '../engine/state/behavior-state';
import { TemporalJourneyStarter } from '../platform/temporal/journey-starter';
import { loadRuleSet } from '../rules/load-rule-set';
import type { JourneyInput } from '../workflows/journey/journey-input';
import { arg, finishesPublishedEvent, machineLoad, RateWindow, withDeadline } from './bench-support';

const STARTS = arg('starts', 2_000);
const CONCURRENCY = arg('concurrency', 64);
const PARTITIONS = arg('partitions', 4);
const ROUNDS = arg('rounds', 3);
const TIMEOUT_SECONDS = arg('timeout', 600);
const WARMUP_STARTS = Math.min(200, STARTS);
const ENGINE_ONLY = process.argv.includes('--engine-only');
if (CONCURRENCY % PARTITIONS !== 0) throw new Error(`--concurrency (${CONCURRENCY}) must be a multiple of --partitions (${PARTITIONS})`);

const SIGNUP_RULE = {
  id: 'bench-signup',
  name: 'Every signup starts a journey',
  version: 1,
  enabled: true,
  trigger: { event: 'signup' },
  entry: { policy: 'everyTime' },
  steps: [{ id: 'short-wait', type: 'wait', duration: '1m' }],
};

/** One `signup` per person: a member id and the device they signed up on. */
function signups(prefix: string, count: number): EventEnvelope[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    type: 'track' as const,
    event: 'signup',
    userId: `${prefix}-member-${i}`,
    anonymousId: `${prefix}-device-${i}`,
    properties: { plan: i % 3 === 0 ? 'team' : 'trial', source: 'landing-page' },
    context: { library: { name: 'analytics.js', version: '5.2.0' } },
    timestamp: new Date(now - (count - i) * 10).toISOString(),
    messageId: `${prefix}-signup-${i}`,
  }));
}

/** The inputs the engine would start for these events, from its own pure core (decideEvent on a new person). */
function journeyInputs(config: Config, events: EventEnvelope[]): JourneyInput[] {
  const { rules, tags } = loadRuleSet(pathsOf(config.NUDGE_RULES_DIR), pathsOf(config.NUDGE_TAGS_DIR));
  const ctx = { rules: new RuleIndex(rules, tags), waitScale: waitScaleOf(config), guardrails: globalGuardrails(config), withLeaves: false };
  return events.map((event, i) => {
    const start = decideEvent(ctx, emptyState(event.userId!), event, i + 1, event.userId!).effects.find((effect) => effect.kind === 'start');
    if (!start) throw new Error(`event ${event.messageId} starts no journey`);
    return start.input;
  });
}

/** Bare: the engine's start call at CONCURRENCY in flight; the rate from the first completed start to the last. */
async function startBare(starter: TemporalJourneyStarter, inputs: JourneyInput[]): Promise<RateWindow> {
  const window = new RateWindow();
  await concurrently(inputs, CONCURRENCY, async (input) => {
    if ((await starter.start(input)) !== 'started') throw new Error(`journey ${input.journeyId} was already started`);
    window.record();
  });
  return window;
}

async function fillRawStream(js: JetStreamClient, events: EventEnvelope[]): Promise<void> {
  const before = (await (await js.jetstreamManager()).streams.info(RAW_STREAM)).state.messages;
  let pending: Promise<unknown>[] = [];
  for (const event of events) {
    pending.push(publishEvent(js, event));
    if (pending.length >= 2000) { await Promise.all(pending); pending = []; }
  }
  await Promise.all(pending);
  const stored = (await (await js.jetstreamManager()).streams.info(RAW_STREAM)).state.messages - before;
  if (stored !== events.length) throw new Error(`raw stream took ${stored} of ${events.length} events`);
}

interface EngineRun {
  started: RateWindow;
  handled: number;
  deadLetters: number;
  otherDecisions: number;
  /** starts per second counted from the startEngine call */
  fromStart: number;
}

/** nudge: STARTS signups on the raw stream, then the engine until it has handled them all. */
async function runEngine(config: Config, js: JetStreamClient, prefix: string): Promise<EngineRun> {
  await fillRawStream(js, signups(prefix, STARTS));
  const run: EngineRun = { started: new RateWindow(), handled: 0, deadLetters: 0, otherDecisions: 0, fromStart: 0 };
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const count = () => { if (++run.handled === STARTS) done(); };
  const t0 = performance.now();
  const engine = await startEngine({
    config,
    log: createLogger('bench', 'error'),
    onOutcome: (outcome) => {
      const starts = outcome.decisions.filter((d) => d.outcome === 'started').length;
      run.started.record(starts);
      run.otherDecisions += outcome.decisions.length - starts;
      if (finishesPublishedEvent(outcome)) count();
    },
    onDeadLetter: () => { run.deadLetters++; count(); },
  });
  try {
    await withDeadline(finished, TIMEOUT_SECONDS, `the engine (${prefix})`);
  } finally {
    await engine.stop();
  }
  run.fromStart = run.started.total / ((performance.now() - t0) / 1000);
  return run;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main() {
  console.log(`nudge journey-start benchmark: ${STARTS.toLocaleString()} starts × ${ROUNDS} rounds, concurrency ${CONCURRENCY} (engine: ${PARTITIONS} partitions × ${CONCURRENCY / PARTITIONS}); ${machineLoad()}`);
  const rulesDir = mkdtempSync(join(tmpdir(), 'nudge-bench-starts-'));
  writeFileSync(join(rulesDir, `${SIGNUP_RULE.id}.json`), JSON.stringify(SIGNUP_RULE, null, 2));
  const [nats, temporal] = await Promise.all([startNats(), startTemporal({ uiPort: null })]);
  const nc = await connect({ servers: nats.url, noAsyncTraces: true }); // as the engine connects
  const { connection, client } = await connectTemporalClient(loadConfig({ TEMPORAL_ADDRESS: temporal.address }));
  try {
    const config = loadConfig({
      NATS_URL: nats.url, TEMPORAL_ADDRESS: temporal.address, NUDGE_TASK_QUEUE: 'bench-starts', LOG_LEVEL: 'error',
      NUDGE_RULES_DIR: rulesDir, NUDGE_TAGS_DIR: join(rulesDir, 'tags'),
      NUDGE_PARTITIONS: String(PARTITIONS), NUDGE_CONCURRENCY: String(CONCURRENCY / PARTITIONS),
    });
    await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW });
    const js = jetstream(nc);
    const starter = new TemporalJourneyStarter(client, config.NUDGE_TASK_QUEUE);
    const runBare = (prefix: string) => withDeadline(startBare(starter, journeyInputs(config, signups(prefix, STARTS))), TIMEOUT_SECONDS, `the bare starts (${prefix})`);

    // bare, nudge, bare, nudge, …, bare: each nudge round is compared with the bare runs either side of it.
    const bare: RateWindow[] = [];
    const nudge: EngineRun[] = [];
    if (!ENGINE_ONLY) {
      await withDeadline(startBare(starter, journeyInputs(config, signups('warm', WARMUP_STARTS))), TIMEOUT_SECONDS, 'the bare warm-up');
      bare.push(await runBare('bare-0'));
    }
    for (let round = 1; round <= ROUNDS; round++) {
      nudge.push(await runEngine(config, js, `nudge-${round}`));
      if (!ENGINE_ONLY) bare.push(await runBare(`bare-${round}`));
    }

    const row = (label: string, window: RateWindow) => `${label.padEnd(50)}${String(window.total).padStart(8)} ${window.seconds.toFixed(1).padStart(8)} ${Math.round(window.rate).toString().padStart(9)}`;
    console.log('');
    console.log(`${''.padEnd(50)}  starts  seconds  starts/s`);
    const ratios: number[] = [];
    for (let i = 0; i <= ROUNDS; i++) {
      if (bare[i]) console.log(row(`bare TemporalJourneyStarter.start × ${CONCURRENCY}`, bare[i]!));
      const run = nudge[i];
      if (!run) continue;
      const ratio = bare.length ? run.started.rate / ((bare[i]!.rate + bare[i + 1]!.rate) / 2) : NaN;
      ratios.push(ratio);
      console.log(`${row(`  nudge engine, round ${i + 1}`, run.started)}${bare.length ? `   ratio ${ratio.toFixed(2)} (to the bare runs either side)` : ''}`);
    }
    console.log('');
    const all = { handled: nudge.reduce((n, r) => n + r.handled, 0), deadLetters: nudge.reduce((n, r) => n + r.deadLetters, 0), other: nudge.reduce((n, r) => n + r.otherDecisions, 0) };
    console.log(`engine: ${all.handled} events handled (${all.deadLetters} dead letters, ${all.other} decisions other than started); counted from each startEngine call: ${nudge.map((r) => Math.round(r.fromStart)).join(', ')} starts/s`);
    console.log(`load when done: ${machineLoad()}`);
    if (bare.length) {
      const bareRate = median(bare.map((w) => w.rate));
      const nudgeRate = median(nudge.map((r) => r.started.rate));
      console.log(`medians: bare ${Math.round(bareRate)} starts/s, nudge ${Math.round(nudgeRate)} starts/s`);
      console.log(`nudge / bare ratio: ${median(ratios).toFixed(3)}   (median of the ${ROUNDS} rounds' ratios; goal >= 0.9)`);
    }
    if (nudge.some((r) => r.started.total !== STARTS) || all.deadLetters) process.exitCode = 1;
  } finally {
    await connection.close();
    await nc.close();
    await Promise.all([nats.stop(), temporal.stop()]);
  }
}

await main();
