/**
 * The load half of bench:report: journey event records on a real JetStream stream (nudge_journey_events
 * on a nats-server of its own), read (a) bare — the same ordered consumer and fetch batches
 * readJourneyEvents uses, only counting the bytes — and (b) by the report's stream source into a fresh
 * store. Alternating rounds; the best of each is kept, so a burst of load on a shared machine hits one
 * round, not the ratio.
 */
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNats } from '../dev/servers/nats';
import { ReportStore } from '../engine/report/report-store';
import { streamSource } from '../engine/report/report-stream-source';
import { journeyRecords } from '../engine/report/report.harness';
import { ensureJourneyEventStream, publishJourneyEvents } from '../platform/nats/journey-event-stream';
import { JOURNEY_EVENTS_STREAM, JOURNEY_EVENTS_SUBJECT_PREFIX, type JourneyEventRecord } from '../workflows/journey/journey-event-record';

/** Publishers in flight: publishJourneyEvents waits for each ack, so writing 1M records needs many at once. */
const PUBLISHERS = 64;
const T0 = Date.parse('2026-01-01T00:00:00Z');

export interface StreamLoadFigures {
  records: number;
  publishMs: number;
  bareMs: number;
  loadMs: number;
}

function generatedRecords(count: number): JourneyEventRecord[] {
  const records: JourneyEventRecord[] = [];
  for (let j = 0; records.length < count; j++) {
    records.push(...journeyRecords({ person: `p${j}`, ruleId: `rule-${j % 5}`, group: j % 10 ? 'treatment' : 'control', enteredAt: T0 + j * 1000, steps: ['sent', j % 9 ? 'sent' : { skipped: 'quiet_hours' }], ...(j % 7 ? {} : { convertedAfterMs: 3_600_000 }) }));
  }
  return records.slice(0, count);
}

/** Every message of the stream with readJourneyEvents' consumer (ordered, from the start time, fetch ≤ 1000): the bytes, nothing parsed. */
async function readBare(js: JetStreamClient): Promise<{ messages: number; bytes: number }> {
  const info = await (await js.jetstreamManager()).streams.info(JOURNEY_EVENTS_STREAM);
  const lastSeq = info.state.last_seq;
  const consumer = await js.consumers.get(JOURNEY_EVENTS_STREAM, { filter_subjects: [`${JOURNEY_EVENTS_SUBJECT_PREFIX}.*.*`], deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(0).toISOString() });
  let messages = 0;
  let bytes = 0;
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 5000 });
    let got = 0;
    for await (const msg of batch) {
      got++;
      messages++;
      bytes += msg.data.length;
      if (msg.seq >= lastSeq) return { messages, bytes };
    }
    if (got === 0) return { messages, bytes };
  }
}

export async function streamLoadFigures(count: number, rounds = 2): Promise<StreamLoadFigures> {
  const server = await startNats();
  const nc = await connect({ servers: server.url });
  try {
    await ensureJourneyEventStream(nc);
    const js = jetstream(nc);
    const records = generatedRecords(count);
    let started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: PUBLISHERS }, async () => {
      for (let at = next; at < records.length; at = next) {
        next = Math.min(records.length, at + 500);
        await publishJourneyEvents(js, records.slice(at, next));
      }
    }));
    const publishMs = performance.now() - started;
    const stored = (await (await jetstreamManager(nc)).streams.info(JOURNEY_EVENTS_STREAM)).state.messages;
    if (stored !== count) throw new Error(`the stream holds ${stored} records, ${count} were published`);

    let bareMs = Infinity;
    let loadMs = Infinity;
    const source = streamSource({ NATS_URL: server.url });
    for (let round = 0; round < rounds; round++) {
      started = performance.now();
      const bare = await readBare(js);
      bareMs = Math.min(bareMs, performance.now() - started);
      if (bare.messages !== count) throw new Error(`the bare read saw ${bare.messages} of ${count} records`);

      const store = await ReportStore.open();
      const problems: string[] = [];
      started = performance.now();
      await source.load(store, (problem) => problems.push(problem));
      loadMs = Math.min(loadMs, performance.now() - started);
      await store.seal();
      const [loaded] = await store.query<{ n: number }>('SELECT count(*) AS n FROM journey_events');
      store.close();
      if (problems.length || Number(loaded!.n) !== count) throw new Error(`the stream source loaded ${loaded!.n} of ${count} records (${problems.length} problems: ${problems.slice(0, 3).join('; ')})`);
    }
    return { records: count, publishMs, bareMs, loadMs };
  } finally {
    await nc.close();
    await server.stop();
  }
}
