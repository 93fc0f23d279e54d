/**
 * Absence timers as JetStream message schedules (platform/nats/absence-timers.ts), against bare
 * baselines measured in the same run on the same nats-server (its own process, so its memory is its own):
 *  - arm:   N timers armed (one schedule subject per person, due in an hour), `--in-flight` publishes
 *           outstanding; bare: N plain messages of the same size on N subjects of another stream, the
 *           same way. Ratio: arm time / bare time.
 *  - memory: nats-server RSS and the stream's stored bytes before and after arming; the engine keeps
 *           no in-memory structure per timer (the armed trigger is a field of the person's KV state),
 *           so its cost is the bytes that field adds to a state, printed too.
 *  - fire:  `--fire` timers all due at one moment; consumed from the partition subjects (an ordered
 *           consumer, as the partition loops read) from the first fired to the last; bare: the same
 *           number of stored plain messages read by the same consumer. Ratio: fire rate / bare rate.
 * Usage: npm run bench:absence -- [--timers 1000000] [--fire 100000] [--in-flight 2000] [--partitions 16]
 */
import { readFileSync } from 'node:fs';
import { DeliverPolicy, jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNats } from '../dev/servers/nats';
import { ABSENCE_CONTROL, type AbsenceTimerControl } from '../engine/decide/decide-absence';
import { CONTROL_HEADER, EVENTS_STREAM, EVENTS_SUBJECT_PREFIX } from '../engine/events/subjects';
import { emptyState, type ArmedAbsence } from '../engine/state/behavior-state';
import { NatsAbsenceTimers } from '../platform/nats/absence-timers';
import { ensureStreams } from '../platform/nats/setup';
import { arg, machineLoad } from './bench-support';

const TIMERS = arg('timers', 1_000_000);
const FIRE = arg('fire', 100_000);
const IN_FLIGHT = arg('in-flight', 2_000);
const PARTITIONS = arg('partitions', 16);
const BARE_STREAM = 'BENCH_BARE';

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const control = (i: number, due: number, prefix = 'p'): AbsenceTimerControl => ({ person: `${prefix}-${i}`, ruleId: 'win-back', armedBy: `m-${i}`, due });

/** Runs `task(i)` for i < count with `inFlight` outstanding; returns the seconds it took. */
async function pipelined(count: number, task: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, async () => {
    while (next < count) await task(next++);
  }));
  return (performance.now() - start) / 1000;
}

/** Reads `count` messages from `stream` (subjects `filter`) with an ordered consumer; seconds from the first to the last. */
async function consume(js: JetStreamClient, stream: string, filter: string, count: number, startSeq: number): Promise<{ seconds: number; kinds: Map<string, number> }> {
  const consumer = await js.consumers.get(stream, { filter_subjects: [filter], deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq });
  const messages = await consumer.consume({ max_messages: 10_000 });
  const kinds = new Map<string, number>();
  let first = 0;
  let received = 0;
  for await (const msg of messages) {
    if (received === 0) first = performance.now();
    const kind = msg.headers?.get(CONTROL_HEADER) || 'plain';
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    if (++received === count) break;
  }
  await messages.close();
  return { seconds: (performance.now() - first) / 1000, kinds };
}

async function main(): Promise<void> {
  const server = await startNats();
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  try {
    const jsm = await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: 60_000 });
    await jsm.streams.add({ name: BARE_STREAM, subjects: ['bench.bare.>'] });
    const js = jetstream(nc);
    const timers = new NatsAbsenceTimers(js, PARTITIONS);
    const pid = server.pid;
    console.log(`absence timers: ${TIMERS.toLocaleString()} armed, ${FIRE.toLocaleString()} fired; ${IN_FLIGHT} in flight, ${PARTITIONS} partitions; ${machineLoad()}`);

    const body = JSON.stringify(control(TIMERS, Date.now() + 3_600_000));
    const bareSeconds = await pipelined(TIMERS, (i) => js.publish(`bench.bare.${i}`, body));
    const rssBefore = rssMb(pid);
    const bytesBefore = (await jsm.streams.info(EVENTS_STREAM)).state.bytes;
    const dueLater = Date.now() + 3_600_000;
    const armSeconds = await pipelined(TIMERS, (i) => timers.arm(control(i, dueLater)));
    const armed = await jsm.streams.info(EVENTS_STREAM);
    const rssAfter = rssMb(pid);
    const armedState = { ...emptyState('p-1'), absence: { 'win-back': { event: { messageId: 'm-1', event: 'page_viewed', timestamp: new Date().toISOString(), properties: { path: '/docs' } }, since: 0, due: 0 } satisfies ArmedAbsence } };
    const stateBytes = JSON.stringify(armedState).length - JSON.stringify(emptyState('p-1')).length;
    console.log(`bare publish   ${(TIMERS / bareSeconds).toFixed(0).padStart(8)} msg/s   (${bareSeconds.toFixed(1)} s)`);
    console.log(`arm            ${(TIMERS / armSeconds).toFixed(0).padStart(8)} timers/s (${armSeconds.toFixed(1)} s)`);
    console.log(`memory         nats-server RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB (+${((rssAfter - rssBefore) * 1024 * 1024 / TIMERS).toFixed(0)} B a timer); stream +${mb(armed.state.bytes - bytesBefore)} MB (${((armed.state.bytes - bytesBefore) / TIMERS).toFixed(0)} B a timer); ${armed.state.messages.toLocaleString()} schedules stored`);
    console.log(`               engine: no per-timer memory; an armed trigger adds ${stateBytes} B to the person's KV state`);

    // Firing: FIRE timers of other people, all due at one moment; the hour-later ones stay armed meanwhile.
    const firstSeq = (await jsm.streams.info(EVENTS_STREAM)).state.last_seq + 1;
    const dueSoon = Date.now() + 5_000 + FIRE / 20;
    await pipelined(FIRE, (i) => timers.arm(control(i, dueSoon, 'f')));
    const fired = await consume(js, EVENTS_STREAM, `${EVENTS_SUBJECT_PREFIX}.*`, FIRE, firstSeq);
    if (fired.kinds.get(ABSENCE_CONTROL) !== FIRE) throw new Error(`expected ${FIRE} fired timers, got ${JSON.stringify([...fired.kinds])}`);
    const bare = await consume(js, BARE_STREAM, 'bench.bare.>', FIRE, 1);
    const fireRate = FIRE / fired.seconds;
    const bareRate = FIRE / bare.seconds;
    console.log(`bare consume   ${bareRate.toFixed(0).padStart(8)} msg/s`);
    console.log(`fire           ${fireRate.toFixed(0).padStart(8)} timers/s onto the partitions (first to last fired: ${fired.seconds.toFixed(1)} s)`);
    console.log(`ratio          arm time / bare publish time ${(armSeconds / bareSeconds).toFixed(2)}; fire rate / bare consume rate ${(fireRate / bareRate).toFixed(2)}`);
  } finally {
    await nc.close();
    await server.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
