/**
 * The journey event log on JetStream: the stream `nudge_journey_events` (subjects
 * `nudge.journey_events.<ruleId>.<kind>`), writing records with their deterministic id as Nats-Msg-Id
 * (a repeated write, e.g. by a retried activity, is dropped by the stream), and reading a time range
 * back in order for `nudge journey-events export`.
 */
import { DeliverPolicy, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { JOURNEY_EVENTS_STREAM, JOURNEY_EVENTS_SUBJECT_PREFIX, JourneyEventRecordSchema, journeyEventSubject, type JourneyEventRecord } from '../../workflows/journey/journey-event-record';

/**
 * How long the stream remembers a record id. Longer than the events' window: a send activity may be
 * retried after a long worker or NATS outage and must still be dropped; readers dedupe by `id` too.
 */
export const JOURNEY_EVENTS_DUPLICATE_WINDOW_MS = 24 * 3_600_000;
/** Where a range read starts before `from` (by stream time): records are written at most this long after they occur. */
export const JOURNEY_EVENTS_WRITE_LAG_MS = 24 * 3_600_000;

const nanos = (ms: number) => ms * 1_000_000;

/** Creates the stream if it does not exist (an existing one is used as it is). */
export async function ensureJourneyEventStream(nc: NatsConnection, options: { replicas?: number } = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  if (await jsm.streams.info(JOURNEY_EVENTS_STREAM).catch(() => null)) return;
  try {
    await jsm.streams.add({ name: JOURNEY_EVENTS_STREAM, subjects: [`${JOURNEY_EVENTS_SUBJECT_PREFIX}.>`], duplicate_window: nanos(JOURNEY_EVENTS_DUPLICATE_WINDOW_MS), num_replicas: options.replicas ?? 1 });
  } catch (error) {
    // Another process created it meanwhile: fine.
    if (await jsm.streams.info(JOURNEY_EVENTS_STREAM).catch(() => null)) return;
    throw new Error(`cannot create stream ${JOURNEY_EVENTS_STREAM} with ${options.replicas ?? 1} replica(s) (NUDGE_REPLICAS): ${(error as Error).message}`, { cause: error });
  }
}

/** Writes records in order; returns those the stream took as new (a duplicate id was written before). */
export async function publishJourneyEvents(js: JetStreamClient, records: readonly JourneyEventRecord[]): Promise<JourneyEventRecord[]> {
  const fresh: JourneyEventRecord[] = [];
  for (const record of records) {
    const ack = await js.publish(journeyEventSubject(record), JSON.stringify(record), { msgID: record.id });
    if (!ack.duplicate) fresh.push(record);
  }
  return fresh;
}

export interface JourneyEventRange {
  /** occurredAt ≥ from (ms). */
  from: number;
  /** occurredAt < to (ms). */
  to: number;
  ruleId?: string;
}

/** A stored message that is not a valid record: reported, never dropped silently, never stopping the read. */
export interface InvalidJourneyEvent {
  seq: number;
  reason: string;
}

/**
 * The records of a range in stream order, each id once (a duplicate that got past the stream's window
 * is skipped). Reads from stream time `from - JOURNEY_EVENTS_WRITE_LAG_MS` up to the stream's last
 * message at the time of the call.
 */
export async function* readJourneyEvents(js: JetStreamClient, range: JourneyEventRange, onInvalid: (problem: InvalidJourneyEvent) => void = () => undefined): AsyncGenerator<JourneyEventRecord> {
  const jsm = await js.jetstreamManager();
  const subject = `${JOURNEY_EVENTS_SUBJECT_PREFIX}.${range.ruleId ?? '*'}.*`;
  const info = await jsm.streams.info(JOURNEY_EVENTS_STREAM, { subjects_filter: subject });
  const lastSeq = info.state.last_seq;
  if (info.state.messages === 0) return;
  const consumer = await js.consumers.get(JOURNEY_EVENTS_STREAM, {
    filter_subjects: [subject],
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(Math.max(0, range.from - JOURNEY_EVENTS_WRITE_LAG_MS)).toISOString(),
  });
  const seen = new Set<string>();
  // How many messages are still to come: asked once, then read off each delivered message's own
  // metadata (msg.info.pending), not from the server per batch (a round trip each 1000 records that the
  // load profile showed as ~15% idle). A fetch asks for no more than that, so the last one does not wait
  // for its expiry.
  let pending = (await consumer.info()).num_pending;
  while (pending > 0) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, pending), expires: 5000 });
    let got = 0;
    for await (const msg of batch) {
      got++;
      pending = msg.info.pending;
      if (msg.seq > lastSeq) return;
      let parsed: ReturnType<typeof JourneyEventRecordSchema.safeParse>;
      try {
        parsed = JourneyEventRecordSchema.safeParse(msg.json());
      } catch (error) {
        onInvalid({ seq: msg.seq, reason: `not JSON: ${(error as Error).message}` });
        continue;
      }
      if (!parsed.success) {
        onInvalid({ seq: msg.seq, reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ') });
        continue;
      }
      const record = parsed.data;
      const at = Date.parse(record.occurredAt);
      if (at < range.from || at >= range.to || seen.has(record.id)) continue;
      seen.add(record.id);
      yield record;
      if (msg.seq === lastSeq) return;
    }
    if (got === 0) return;
  }
}
