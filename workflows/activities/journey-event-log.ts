/**
 * The journey event log's activity: the workflow hands it the records its transitions produced
 * (journey/journey-records.ts) and it stamps `recordedAt` and writes them. Written exactly once per
 * action: the ids are deterministic, so a retried activity (or the same records after a worker crash
 * and replay) is dropped by the stream's de-duplication. Conversions and exits are counted only for
 * records the stream took as new, so the counters are exact too.
 */
import type { JourneyEventRecord } from '../journey/journey-event-record';
import type { PendingJourneyRecord } from '../journey/journey-records';

export interface JourneyEventWriter {
  /** Writes the records in order; returns those that were new (not written before). */
  write(records: readonly JourneyEventRecord[]): Promise<readonly JourneyEventRecord[]>;
}

export interface JourneyOutcomeMetrics {
  recordConversion(ruleId: string, group: string): void;
  recordExit(ruleId: string, reason: string, group: string): void;
}

export function createJourneyEventLogActivities(deps: { writer: JourneyEventWriter; metrics?: JourneyOutcomeMetrics; clock?: () => number }) {
  const clock = deps.clock ?? Date.now;
  return {
    async recordJourneyEvents(records: PendingJourneyRecord[]): Promise<void> {
      const recordedAt = new Date(clock()).toISOString();
      const fresh = await deps.writer.write(records.map((record) => ({ ...record, recordedAt }) as JourneyEventRecord));
      for (const record of fresh) {
        if (record.kind === 'converted') deps.metrics?.recordConversion(record.ruleId, record.group);
        if (record.kind === 'exit') deps.metrics?.recordExit(record.ruleId, record.reason, record.group);
      }
    },
  };
}

export type JourneyEventLogActivities = ReturnType<typeof createJourneyEventLogActivities>;

/** The in-memory log (simulator, tests): the same de-duplication by id as the stream. */
export class MemoryJourneyEventLog implements JourneyEventWriter {
  readonly records: JourneyEventRecord[] = [];
  private readonly ids = new Set<string>();

  async write(records: readonly JourneyEventRecord[]): Promise<readonly JourneyEventRecord[]> {
    const fresh = records.filter((record) => !this.ids.has(record.id));
    for (const record of fresh) {
      this.ids.add(record.id);
      this.records.push(record);
    }
    return fresh;
  }
}
