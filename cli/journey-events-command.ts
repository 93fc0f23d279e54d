/**
 * `nudge journey-events export`: the journey event log of a time range (by occurredAt, optionally one
 * rule) from the nudge_journey_events stream to a file a warehouse loads: JSON lines (the records as
 * written, rules/journey-event.schema.json) or Parquet (one flat table, written by DuckDB). Each record
 * id once. Reading the stream leaves its live consumers untouched.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Config } from '../platform/config';
import { natsConnectOptions } from '../platform/nats/connect-options';
import { readJourneyEvents, type JourneyEventRange } from '../platform/nats/journey-event-stream';
import type { JourneyEventRecord } from '../workflows/journey/journey-event-record';

export interface ExportOptions {
  from: string;
  to: string;
  rule?: string;
  format: string;
  out: string;
}

export class ExportUsageError extends Error {}

/** The Parquet table: every field of every kind (null where a kind has none); nested values as JSON text. */
export const PARQUET_COLUMNS: Record<string, string> = {
  id: 'VARCHAR', v: 'INTEGER', seq: 'INTEGER', kind: 'VARCHAR', journeyId: 'VARCHAR', personId: 'VARCHAR', ruleId: 'VARCHAR', ruleVersion: 'INTEGER',
  group: 'VARCHAR', stepId: 'VARCHAR', channel: 'VARCHAR', reason: 'VARCHAR', detail: 'VARCHAR', branch: 'VARCHAR', event: 'VARCHAR', until: 'TIMESTAMPTZ',
  converted: 'BOOLEAN', goalEvent: 'VARCHAR', goalMessageId: 'VARCHAR', enteredAt: 'TIMESTAMPTZ', timeToConvertMs: 'BIGINT',
  lastMessage: 'VARCHAR', variants: 'VARCHAR', goal: 'VARCHAR', details: 'VARCHAR', occurredAt: 'TIMESTAMPTZ', recordedAt: 'TIMESTAMPTZ',
};

export function flatRow(record: JourneyEventRecord): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of Object.keys(PARQUET_COLUMNS)) {
    const value = (record as Record<string, unknown>)[column];
    row[column] = value === undefined ? null : value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
  }
  return row;
}

function rangeOf(options: ExportOptions): JourneyEventRange {
  const from = Date.parse(options.from);
  const to = Date.parse(options.to);
  if (Number.isNaN(from)) throw new ExportUsageError(`--from: "${options.from}" is not an ISO-8601 time`);
  if (Number.isNaN(to)) throw new ExportUsageError(`--to: "${options.to}" is not an ISO-8601 time`);
  if (to <= from) throw new ExportUsageError(`--to (${options.to}) must be after --from (${options.from})`);
  return { from, to, ...(options.rule ? { ruleId: options.rule } : {}) };
}

/** Appends JSON lines in chunks, so an export of millions of records never holds them all in memory. */
class LineWriter {
  private chunk: string[] = [];
  count = 0;
  constructor(private readonly path: string) {
    writeFileSync(path, '');
  }
  add(value: unknown): void {
    this.chunk.push(JSON.stringify(value) + '\n');
    this.count++;
    if (this.chunk.length >= 10_000) this.flush();
  }
  flush(): void {
    if (this.chunk.length) appendFileSync(this.path, this.chunk.join(''));
    this.chunk = [];
  }
}

/** Writes records as Parquet through DuckDB (a temporary JSON-lines file read with fixed column types). */
export async function writeParquet(records: AsyncIterable<JourneyEventRecord> | Iterable<JourneyEventRecord>, out: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-export-'));
  try {
    const lines = join(dir, 'records.jsonl');
    const writer = new LineWriter(lines);
    for await (const record of records) writer.add(flatRow(record));
    writer.flush();
    const columns = Object.entries(PARQUET_COLUMNS).map(([name, type]) => `'${name}': '${type}'`).join(', ');
    const quoted = (path: string) => `'${path.replaceAll("'", "''")}'`;
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`COPY (SELECT * FROM read_json(${quoted(lines)}, format = 'newline_delimited', columns = {${columns}})) TO ${quoted(out)} (FORMAT parquet)`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    return writer.count;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runJourneyEventsExport(config: Config, options: ExportOptions, warn: (line: string) => void = (l) => console.error(l)): Promise<number> {
  if (options.format !== 'jsonl' && options.format !== 'parquet') throw new ExportUsageError(`--format must be jsonl or parquet, not "${options.format}"`);
  const range = rangeOf(options);
  const nc = await connect(natsConnectOptions(config, 'nudge-journey-events'));
  let invalid = 0;
  let written: number;
  try {
    const records = readJourneyEvents(jetstream(nc), range, (problem) => {
      invalid++;
      warn(`skipped stream message ${problem.seq}: ${problem.reason}`);
    });
    if (options.format === 'parquet') written = await writeParquet(records, options.out);
    else {
      const writer = new LineWriter(options.out);
      for await (const record of records) writer.add(record);
      writer.flush();
      written = writer.count;
    }
  } finally {
    await nc.close();
  }
  warn(`wrote ${written} journey event${written === 1 ? '' : 's'} to ${options.out} (${options.format})${invalid ? `; ${invalid} invalid message(s) skipped` : ''}`);
  return 0;
}
