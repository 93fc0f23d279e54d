/**
 * Creates (or checks) the JetStream streams and KV buckets nudge uses. Idempotent: every process calls
 * it at start. The partition count is recorded in the events stream's metadata and must match.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECT_PREFIX, EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, RAW_STREAM, RAW_SUBJECT } from '../events/subjects';

export const USERS_BUCKET = 'nudge_users';
export const SENDS_BUCKET = 'nudge_sends';
export const CAPS_BUCKET = 'nudge_caps';

export interface StreamSettings {
  partitions: number;
  /** How long JetStream remembers a messageId to drop duplicates (ms). */
  duplicateWindowMs: number;
}

const nanos = (ms: number) => ms * 1_000_000;

export async function ensureStreams(nc: NatsConnection, settings: StreamSettings): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const existing = await jsm.streams.info(EVENTS_STREAM).catch(() => null);
  if (existing) {
    const recorded = Number(existing.config.metadata?.['nudge.partitions']);
    if (recorded && recorded !== settings.partitions) {
      throw new Error(`stream ${EVENTS_STREAM} was created with ${recorded} partitions but NUDGE_PARTITIONS is ${settings.partitions}; use ${recorded}`);
    }
  } else {
    await jsm.streams.add({
      name: EVENTS_STREAM,
      subjects: [`${EVENTS_SUBJECT_PREFIX}.*`],
      duplicate_window: nanos(settings.duplicateWindowMs),
      metadata: { 'nudge.partitions': String(settings.partitions) },
    });
  }
  if (!(await jsm.streams.info(RAW_STREAM).catch(() => null))) {
    await jsm.streams.add({ name: RAW_STREAM, subjects: [RAW_SUBJECT], duplicate_window: nanos(settings.duplicateWindowMs) });
  }
  if (!(await jsm.streams.info(DEAD_LETTER_STREAM).catch(() => null))) {
    await jsm.streams.add({ name: DEAD_LETTER_STREAM, subjects: [`${DEAD_LETTER_SUBJECT_PREFIX}.*`] });
  }
  return jsm;
}

export async function openBucket(nc: NatsConnection, name: string): Promise<KV> {
  return new Kvm(nc).create(name, { history: 1 });
}
