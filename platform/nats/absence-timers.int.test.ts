/**
 * Absence timers on a real nats-server (JetStream message schedules): a timer fires onto the person's
 * partition as an `absence` control message, not before it is due; arming again replaces the timer (only
 * the later one fires); disarming sends a stale one at once; an events stream created before absence
 * triggers is upgraded in place. Durations are seconds; nothing asserts how late a timer may be.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { natsPerFile } from '../../test/support/nats-per-file';
import { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, partitionOf, partitionSubject } from '../../engine/events/subjects';
import { readPartitionMessage } from '../../engine/ingest/partition-messages';
import { ensureStreams } from './setup';
import { NatsAbsenceTimers, absenceSubject } from './absence-timers';

const nats = natsPerFile();
const PARTITIONS = 4;

/** The next `count` messages of a partition after `afterSeq`, with their arrival times. */
async function nextOnPartition(js: JetStreamClient, partition: number, afterSeq: number, count: number): Promise<{ msg: JsMsg; receivedAt: number }[]> {
  const consumer = await js.consumers.get(EVENTS_STREAM, { filter_subjects: [partitionSubject(partition)], opt_start_seq: afterSeq + 1 });
  const got: { msg: JsMsg; receivedAt: number }[] = [];
  const messages = await consumer.consume();
  for await (const msg of messages) {
    got.push({ msg, receivedAt: Date.now() });
    if (got.length === count) break;
  }
  await messages.close();
  return got;
}

describe('NATS absence timers', () => {
  it('fire onto the person\'s partition when due; a second arm replaces the first; a disarm arrives at once and names no arming', async () => {
    const nc = nats.connection();
    await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: 60_000 });
    const js = jetstream(nc);
    const timers = new NatsAbsenceTimers(js, PARTITIONS);
    const partition = partitionOf('ann', PARTITIONS);
    const start = (await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM)).state.last_seq;

    const due = Date.now() + 2_500;
    await timers.arm({ person: 'ann', ruleId: 'win-back', armedBy: 'v1', due: Date.now() + 1_500 });
    await timers.arm({ person: 'ann', ruleId: 'win-back', armedBy: 'v2', due });
    await timers.arm({ person: 'ann', ruleId: 'trial-end', armedBy: 't1', due: Date.now() + 60_000 });
    await timers.disarm('ann', 'trial-end');

    const [disarmed, fired] = await nextOnPartition(js, partition, start, 2);
    const parsed = [disarmed!, fired!].map(({ msg }) => readPartitionMessage(msg, partition, PARTITIONS));
    expect(parsed[0]).toMatchObject({ kind: 'absence', person: 'ann', control: { ruleId: 'trial-end', armedBy: '' } });
    expect(parsed[1]).toMatchObject({ kind: 'absence', person: 'ann', control: { ruleId: 'win-back', armedBy: 'v2', due } });
    // Not early: the schedule holds it until its time (the first arm, due a second sooner, never fires).
    expect(fired!.receivedAt).toBeGreaterThanOrEqual(due - 1_000);
    const info = await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM, { subjects_filter: `${absenceSubject('win-back', 'ann').split('.').slice(0, 2).join('.')}.>` });
    expect(info.state.subjects ?? {}).toEqual({}); // fired and disarmed schedules are removed from the stream
  });

  it('an events stream from before absence triggers gains the timer subjects and schedules, keeping its messages', async () => {
    const nc = nats.connection();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(EVENTS_STREAM).catch(() => undefined);
    await jsm.streams.add({ name: EVENTS_STREAM, subjects: [`${EVENTS_SUBJECT_PREFIX}.*`], metadata: { 'nudge.partitions': String(PARTITIONS) } });
    await jetstream(nc).publish(partitionSubject(0), '{}');
    await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: 60_000 });
    const info = await jsm.streams.info(EVENTS_STREAM);
    expect(info.config).toMatchObject({ allow_msg_schedules: true, subjects: [`${EVENTS_SUBJECT_PREFIX}.*`, 'nudge.absence.>'] });
    expect(info.state.messages).toBe(1);
  });
});
