/**
 * The analytics store: DuckDB (embedded, columnar) holding the journey event log and the behavior
 * events the report reads. Records are appended as they are read (a stream, a JSONL export) into
 * staging tables; `seal()` keeps each record id once (a log replayed twice, or a JSONL export loaded
 * next to the stream, counts each action once) and makes the tables the queries read.
 *
 * One row per record with the fields the report needs flattened into columns (times as epoch ms), so
 * the queries are plain SQL over columns. A user who outgrows one machine points the same log at a
 * warehouse instead: `nudge journey-events export --format parquet` (or a JetStream consumer) into
 * ClickHouse or BigQuery, where the same SQL runs with small changes.
 */
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { JourneyEventKind, JourneyGroup, type JourneyEventRecord } from '../../workflows/journey/journey-event-record';

/** A behavior event as the report sees it: who did what when (and which journey it is about, for engagement). */
export interface ReportBehaviorEvent {
  personId: string;
  event: string;
  at: number;
  /** properties.journeyId of engagement events (email_clicked…): the journey whose message it was. */
  journeyId: string | null;
}

// kind and grp as ENUMs (one byte, compared as integers): every query filters or groups by them.
// The records are schema-checked before they are appended, so a value outside the enum cannot arrive.
const enumOf = (values: readonly string[]) => `ENUM (${values.map((v) => `'${v}'`).join(', ')})`;
const JOURNEY_COLUMNS = `id VARCHAR, seq INTEGER, kind ${enumOf(JourneyEventKind.options)}, journey_id VARCHAR, person_id VARCHAR, rule_id VARCHAR,
  rule_version INTEGER, grp ${enumOf(JourneyGroup.options)}, step_id VARCHAR, channel VARCHAR, reason VARCHAR, branch VARCHAR, at_ms BIGINT,
  time_to_convert_ms BIGINT, variants VARCHAR`;
const BEHAVIOR_COLUMNS = 'person_id VARCHAR, event VARCHAR, at_ms BIGINT, journey_id VARCHAR';

export class ReportStore {
  private journeyAppender: DuckDBAppender | null = null;
  private behaviorAppender: DuckDBAppender | null = null;
  private sealed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** An in-memory store (the default), or one in a DuckDB file that outlives the process. */
  static async open(path = ':memory:'): Promise<ReportStore> {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(`CREATE OR REPLACE TABLE journey_staging (${JOURNEY_COLUMNS}); CREATE OR REPLACE TABLE behavior_staging (${BEHAVIOR_COLUMNS})`);
    return new ReportStore(instance, connection);
  }

  async addJourneyEvents(records: Iterable<JourneyEventRecord> | AsyncIterable<JourneyEventRecord>): Promise<number> {
    this.journeyAppender ??= await this.connection.createAppender('journey_staging');
    const appender = this.journeyAppender;
    let count = 0;
    for await (const record of records) {
      appendJourneyRow(appender, record);
      count++;
    }
    appender.flushSync();
    return count;
  }

  async addBehaviorEvents(events: Iterable<ReportBehaviorEvent> | AsyncIterable<ReportBehaviorEvent>): Promise<number> {
    this.behaviorAppender ??= await this.connection.createAppender('behavior_staging');
    const appender = this.behaviorAppender;
    let count = 0;
    for await (const event of events) {
      appender.appendVarchar(event.personId);
      appender.appendVarchar(event.event);
      appender.appendBigInt(BigInt(Math.trunc(event.at)));
      if (event.journeyId === null) appender.appendNull();
      else appender.appendVarchar(event.journeyId);
      appender.endRow();
      count++;
    }
    appender.flushSync();
    return count;
  }

  /**
   * Each record id once, behavior events deduplicated by (person, event, time): the tables the queries
   * read (journey_events, behavior_events, journeys: one row per entered journey).
   */
  async seal(): Promise<void> {
    this.journeyAppender?.closeSync();
    this.behaviorAppender?.closeSync();
    this.journeyAppender = this.behaviorAppender = null;
    // Checking for repeats is far cheaper than copying every row through DISTINCT: a log without repeats
    // (the usual case: the stream drops them) becomes the table as it is.
    const journeyRepeats = await this.mayRepeat('journey_staging', 'id');
    const behaviorRepeats = await this.mayRepeat('behavior_staging', 'person_id, event, at_ms, journey_id');
    await this.connection.run(`
      DROP TABLE IF EXISTS journey_events; DROP TABLE IF EXISTS behavior_events;
      ${journeyRepeats ? 'CREATE TABLE journey_events AS SELECT DISTINCT ON (id) * FROM journey_staging; DROP TABLE journey_staging' : 'ALTER TABLE journey_staging RENAME TO journey_events'};
      ${behaviorRepeats ? 'CREATE TABLE behavior_events AS SELECT DISTINCT * FROM behavior_staging; DROP TABLE behavior_staging' : 'ALTER TABLE behavior_staging RENAME TO behavior_events'};
      -- One row per journey (its enter record, its conversion if any), built once here: clicks, variants
      -- and paths are questions about journeys and read these 1 in 5 rows instead of joining the log to itself.
      -- jn (the enter record's row number) is an integer key for grouping and joining. No variants column:
      -- copying that string per journey cost as much as the join (the variants query reads the enter
      -- record by jn instead).
      CREATE OR REPLACE TABLE journeys AS
        SELECT e.rowid AS jn, e.journey_id, e.person_id, e.rule_id, e.rule_version, e.grp, e.at_ms AS entered_ms, c.at_ms AS converted_ms
        FROM journey_events e LEFT JOIN (SELECT journey_id, at_ms FROM journey_events WHERE kind = 'converted') c USING (journey_id)
        WHERE e.kind = 'enter';`);
    this.sealed = true;
  }

  /**
   * Whether two rows of `table` may have the same `columns`: two equal 64-bit hashes next to each other
   * once the hashes are sorted. Sorting fixed-width integers beats a hash aggregate of 10M distinct
   * strings (the profile's largest step of seal); a hash collision only costs the DISTINCT copy, never a
   * repeat kept.
   */
  private async mayRepeat(table: string, columns: string): Promise<boolean> {
    const reader = await this.connection.runAndReadAll(`
      SELECT count(*) AS repeats FROM (SELECT h, lead(h) OVER (ORDER BY h) AS next FROM (SELECT hash(${columns}) AS h FROM ${table})) WHERE h = next`);
    return Number(reader.getRows()[0]![0]) > 0;
  }

  /** Rows of a query as plain JS values (BIGINT as number: counts and epoch ms fit). */
  async query<Row = Record<string, unknown>>(sql: string, values?: Record<string, string | number>): Promise<Row[]> {
    if (!this.sealed) throw new Error('ReportStore.query before seal(): load the records, then seal the store');
    const reader = await this.connection.runAndReadAll(sql, values);
    return reader.getRowObjectsJson() as Row[];
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function appendNullable(appender: DuckDBAppender, value: string | null | undefined): void {
  if (value === null || value === undefined) appender.appendNull();
  else appender.appendVarchar(value);
}

function appendJourneyRow(appender: DuckDBAppender, record: JourneyEventRecord): void {
  appender.appendVarchar(record.id);
  appender.appendInteger(record.seq);
  appender.appendVarchar(record.kind);
  appender.appendVarchar(record.journeyId);
  appender.appendVarchar(record.personId);
  appender.appendVarchar(record.ruleId);
  appender.appendInteger(record.ruleVersion);
  appender.appendVarchar(record.group);
  appendNullable(appender, record.stepId);
  appendNullable(appender, 'channel' in record ? record.channel : null);
  appendNullable(appender, 'reason' in record ? record.reason : null);
  appendNullable(appender, record.kind === 'branch_taken' ? record.branch : null);
  appender.appendBigInt(BigInt(Date.parse(record.occurredAt)));
  if (record.kind === 'converted') appender.appendBigInt(BigInt(record.timeToConvertMs));
  else appender.appendNull();
  appendNullable(appender, record.kind === 'enter' ? JSON.stringify(record.variants) : null);
  appender.endRow();
}
