/**
 * The journey event log on a real nats-server: the activity writes each record once even when it is
 * retried (JetStream drops the repeated message ids) and counts conversions and exits once; a time
 * range reads back in order, per rule; an invalid message on the stream is reported and skipped, not
 * fatal; `nudge journey-events export` writes JSON lines and a Parquet file DuckDB reads back.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { natsPerFile } from '../../test/support/nats-per-file';
import { ensureJourneyEventStream, publishJourneyEvents, readJourneyEvents, type InvalidJourneyEvent } from './journey-event-stream';
import { createJourneyEventLogActivities } from '../../workflows/activities/journey-event-log';
import { JOURNEY_EVENTS_STREAM, type JourneyEventRecord } from '../../workflows/journey/journey-event-record';
import type { PendingJourneyRecord } from '../../workflows/journey/journey-records';
import { writeParquet } from '../../cli/journey-events-command';

const nats = natsPerFile();
const T = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function journey(journeyId: string, ruleId: string, at: number, group: 'treatment' | 'control' = 'treatment'): PendingJourneyRecord[] {
  const meta = { v: 1 as const, journeyId, personId: `p-${journeyId}`, ruleId, ruleVersion: 1, group };
  return [
    { ...meta, id: `${journeyId}/0/enter`, seq: 0, kind: 'enter', stepId: null, occurredAt: iso(at), variants: {}, goal: { event: 'order_completed', windowEndsAt: iso(at + 86_400_000) } },
    { ...meta, id: `${journeyId}/1/converted`, seq: 1, kind: 'converted', stepId: null, occurredAt: iso(at + 60_000), goalEvent: 'order_completed', goalMessageId: `o-${journeyId}`, enteredAt: iso(at), timeToConvertMs: 60_000, lastMessage: null },
    { ...meta, id: `${journeyId}/2/exit`, seq: 2, kind: 'exit', stepId: null, occurredAt: iso(at + 60_000), reason: 'exit_event', converted: true },
  ];
}

describe('the journey event stream', () => {
  it('a retried write adds nothing and counts nothing twice; ranges read back by occurredAt and rule', async () => {
    const nc = nats.connection();
    await ensureJourneyEventStream(nc);
    await ensureJourneyEventStream(nc); // idempotent
    const js = jetstream(nc);
    const counted: string[] = [];
    const { recordJourneyEvents } = createJourneyEventLogActivities({
      writer: { write: (records) => publishJourneyEvents(js, records) },
      metrics: { recordConversion: (rule, group) => counted.push(`converted ${rule} ${group}`), recordExit: (rule, reason, group) => counted.push(`exit ${rule} ${reason} ${group}`) },
      clock: () => T + 120_000,
    });
    const a = journey('j-a', 'welcome', T);
    await recordJourneyEvents(a);
    await recordJourneyEvents(a); // the activity retried after its first attempt had written everything
    await recordJourneyEvents([...journey('j-b', 'welcome', T + 3_600_000, 'control'), ...journey('j-c', 'other', T)]);
    expect(counted).toEqual(['converted welcome treatment', 'exit welcome exit_event treatment', 'converted welcome control', 'exit welcome exit_event control', 'converted other treatment', 'exit other exit_event treatment']);
    const info = await (await jetstreamManager(nc)).streams.info(JOURNEY_EVENTS_STREAM);
    expect(info.state.messages).toBe(9);

    const read = async (range: Parameters<typeof readJourneyEvents>[1]) => {
      const records: JourneyEventRecord[] = [];
      for await (const record of readJourneyEvents(js, range)) records.push(record);
      return records;
    };
    const all = await read({ from: T, to: T + 86_400_000 });
    expect(all.map((r) => r.id)).toEqual([...a, ...journey('j-b', 'welcome', 0), ...journey('j-c', 'other', 0)].map((r) => r.id));
    expect(all[0]).toMatchObject({ recordedAt: iso(T + 120_000) });
    expect((await read({ from: T, to: T + 86_400_000, ruleId: 'other' })).map((r) => r.journeyId)).toEqual(['j-c', 'j-c', 'j-c']);
    expect((await read({ from: T + 3_600_000, to: T + 86_400_000 })).map((r) => r.journeyId)).toEqual(['j-b', 'j-b', 'j-b']);
    expect(await read({ from: T - 10_000, to: T })).toEqual([]);
  });

  it('a message that is not a valid record is reported with its sequence and skipped; the rest still reads', async () => {
    const nc = nats.connection();
    const js = jetstream(nc);
    const broken = await js.publish('nudge.journey_events.broken.enter', '{"kind":"enter"}');
    await js.publish('nudge.journey_events.broken.exit', 'not json');
    await publishJourneyEvents(js, journey('j-d', 'broken', T).map((r) => ({ ...r, recordedAt: iso(T) }) as JourneyEventRecord));
    const problems: InvalidJourneyEvent[] = [];
    const records: JourneyEventRecord[] = [];
    for await (const record of readJourneyEvents(js, { from: T, to: T + 86_400_000, ruleId: 'broken' }, (p) => problems.push(p))) records.push(record);
    expect(records.map((r) => r.kind)).toEqual(['enter', 'converted', 'exit']);
    expect(problems).toEqual([
      { seq: broken.seq, reason: expect.stringMatching(/v: |id: /) },
      { seq: broken.seq + 1, reason: expect.stringMatching(/^not JSON/) },
    ]);
  });
});

describe('export to Parquet', () => {
  it('DuckDB reads the file back: one row per record, typed columns, nested values as JSON', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nudge-parquet-')), 'log.parquet');
    const records = journey('j-e', 'welcome', T, 'control').map((r) => ({ ...r, recordedAt: iso(T) }) as JourneyEventRecord);
    expect(await writeParquet(records, out)).toBe(3);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const reader = await connection.runAndReadAll(`SELECT kind, "group", timeToConvertMs, converted, goal, epoch_ms(occurredAt) AS at FROM read_parquet('${out}') ORDER BY seq`);
    const rows = reader.getRowObjectsJS();
    connection.closeSync();
    db.closeSync();
    expect(rows).toEqual([
      { kind: 'enter', group: 'control', timeToConvertMs: null, converted: null, goal: JSON.stringify({ event: 'order_completed', windowEndsAt: iso(T + 86_400_000) }), at: BigInt(T) },
      { kind: 'converted', group: 'control', timeToConvertMs: 60_000n, converted: null, goal: null, at: BigInt(T + 60_000) },
      { kind: 'exit', group: 'control', timeToConvertMs: null, converted: true, goal: null, at: BigInt(T + 60_000) },
    ]);
  });
});
