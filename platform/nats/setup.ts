/**
 * Creates (or checks) the JetStream streams and KV buckets nudge uses. Idempotent: every process calls
 * it at start. The partition count is recorded in the events stream's metadata and must match; the
 * replica count (NUDGE_REPLICAS) of an existing stream or bucket must match too.
 */
import { jetstreamManager, type JetStreamManager, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureJourneyEventStream } from './journey-event-stream';
import { ABSENCE_SUBJECT_PREFIX, DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECT_PREFIX, EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, RAW_STREAM, RAW_SUBJECT } from '../../engine/events/subjects';

export const USERS_BUCKET = 'nudge_users';
export const SENDS_BUCKET = 'nudge_sends';
export const CAPS_BUCKET = 'nudge_caps';

export interface Replication {
  /**
   * Copies of each stream or bucket in a NATS cluster (NUDGE_REPLICAS). Left out, new ones get 1 and an
   * existing one is used as it is: for tools and tests that only open what a service created.
   */
  replicas?: number;
}

export interface StreamSettings extends Replication {
  partitions: number;
  /** How long JetStream remembers a messageId to drop duplicates (ms). */
  duplicateWindowMs: number;
}

/**
 * An existing stream or bucket is replicated differently from NUDGE_REPLICAS. Not repaired silently:
 * fewer copies than asked for would lose data on a node failure the operator thinks is covered, and
 * re-replicating a large stream is an operation to run on purpose (`nats stream edit <stream> --replicas N`).
 */
export class ReplicaMismatchError extends Error {
  readonly code = 'replica_mismatch';
  constructor(readonly stream: string, readonly actual: number, readonly wanted: number, bucket?: string) {
    super(
      `${bucket ? `KV bucket ${bucket} (stream ${stream})` : `stream ${stream}`} has ${actual} replica${actual === 1 ? '' : 's'} but NUDGE_REPLICAS is ${wanted}: ` +
        `set NUDGE_REPLICAS=${actual}, or change the stream with "nats stream edit ${stream} --replicas ${wanted}"`,
    );
    this.name = 'ReplicaMismatchError';
  }
}

const nanos = (ms: number) => ms * 1_000_000;
const ABSENCE_SUBJECTS = `${ABSENCE_SUBJECT_PREFIX}.>`;

function checkReplicas(info: StreamInfo, wanted: number | undefined): void {
  const actual = info.config.num_replicas || 1;
  if (wanted !== undefined && actual !== wanted) throw new ReplicaMismatchError(info.config.name, actual, wanted);
}

/** Adds a stream, naming it and the replica count when the server refuses (e.g. R3 on a single server). */
async function addStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, replicas: number): Promise<void> {
  try {
    await jsm.streams.add({ ...config, num_replicas: replicas });
  } catch (error) {
    throw new Error(`cannot create stream ${config.name} with ${replicas} replica(s) (NUDGE_REPLICAS): ${(error as Error).message}`, { cause: error });
  }
}

/** The stream if it exists (checked against the replica setting), else null. */
async function existing(jsm: JetStreamManager, name: string, replicas: number | undefined): Promise<StreamInfo | null> {
  const info = await jsm.streams.info(name).catch(() => null);
  if (info) checkReplicas(info, replicas);
  return info;
}

export async function ensureStreams(nc: NatsConnection, settings: StreamSettings): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const replicas = settings.replicas ?? 1;
  const events = await existing(jsm, EVENTS_STREAM, settings.replicas);
  if (events) {
    const recorded = Number(events.config.metadata?.['nudge.partitions']);
    if (recorded && recorded !== settings.partitions) {
      throw new Error(`stream ${EVENTS_STREAM} was created with ${recorded} partitions but NUDGE_PARTITIONS is ${settings.partitions}; use ${recorded}`);
    }
    // Streams created before absence triggers gain the timers' subjects and message schedules (both additive).
    if (!events.config.allow_msg_schedules || !events.config.subjects.includes(ABSENCE_SUBJECTS)) {
      await jsm.streams.update(EVENTS_STREAM, { subjects: [...new Set([...events.config.subjects, ABSENCE_SUBJECTS])], allow_msg_schedules: true });
    }
  } else {
    await addStream(jsm, {
      name: EVENTS_STREAM,
      // The partitions, and the absence timers (platform/nats/absence-timers.ts), which fire onto them.
      subjects: [`${EVENTS_SUBJECT_PREFIX}.*`, ABSENCE_SUBJECTS],
      allow_msg_schedules: true,
      duplicate_window: nanos(settings.duplicateWindowMs),
      metadata: { 'nudge.partitions': String(settings.partitions) },
    }, replicas);
  }
  if (!(await existing(jsm, RAW_STREAM, settings.replicas))) {
    await addStream(jsm, { name: RAW_STREAM, subjects: [RAW_SUBJECT], duplicate_window: nanos(settings.duplicateWindowMs) }, replicas);
  }
  if (!(await existing(jsm, DEAD_LETTER_STREAM, settings.replicas))) {
    await addStream(jsm, { name: DEAD_LETTER_STREAM, subjects: [`${DEAD_LETTER_SUBJECT_PREFIX}.*`] }, replicas);
  }
  await ensureJourneyEventStream(nc, { replicas });
  // Durable consumers leave num_replicas unset, so they inherit the stream's replica count.
  return jsm;
}

/** Opens a KV bucket, creating it with `replicas` copies if it does not exist yet. */
export async function openBucket(nc: NatsConnection, name: string, options: Replication = {}): Promise<KV> {
  let kv: KV;
  try {
    kv = await new Kvm(nc).create(name, { history: 1, replicas: options.replicas ?? 1 });
  } catch (error) {
    throw new Error(`cannot open KV bucket ${name} with ${options.replicas ?? 1} replica(s) (NUDGE_REPLICAS): ${(error as Error).message}`, { cause: error });
  }
  // Kvm.create returns an existing bucket as it is, whatever its replica count: check it here.
  if (options.replicas !== undefined) {
    const status = await kv.status();
    if (status.replicas !== options.replicas) throw new ReplicaMismatchError(status.streamInfo.config.name, status.replicas, options.replicas, name);
  }
  return kv;
}
