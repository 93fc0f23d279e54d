/**
 * How far each partition's scheduled audiences have been run, durably (NATS KV `nudge_audience_runs`,
 * key `<rule>.p<n>`): the end of the last window whose entries were all sent. A run is recorded only
 * after its scan finished, so a crash part-way repeats the window (the same runs, de-duplicated) and a
 * restart after a long outage runs the missed window once, with each person's newest occurrence.
 * Writes are compare-and-set, so an engine that lost the partition cannot move its record back.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { writeAtRevision } from '../../platform/nats/compare-and-set';

export const AUDIENCE_RUNS_BUCKET = 'nudge_audience_runs';

export interface RunRecord {
  /** Occurrences up to here (ms) have been run for this partition. */
  until: number;
  /** KV revision; 0 when the schedule never ran here (it then starts from now: no past occurrences). */
  revision: number;
}

export class RunRecordConflictError extends Error {
  constructor(readonly key: string) {
    super(`audience run record ${key} was written by another engine (the partition moved?)`);
    this.name = 'RunRecordConflictError';
  }
}

export const runRecordKey = (ruleId: string, partition: number) => `${ruleId}.p${partition}`;

export class RunRecords {
  constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, replicas = 1): Promise<RunRecords> {
    return new RunRecords(await new Kvm(nc).create(AUDIENCE_RUNS_BUCKET, { history: 1, replicas }));
  }

  async load(ruleId: string, partition: number): Promise<RunRecord> {
    const entry = await this.kv.get(runRecordKey(ruleId, partition));
    if (!entry || entry.operation !== 'PUT') return { until: 0, revision: entry?.revision ?? 0 };
    return { until: entry.json<{ until: number }>().until, revision: entry.revision };
  }

  async save(ruleId: string, partition: number, until: number, revision: number, owner: string): Promise<number> {
    const key = runRecordKey(ruleId, partition);
    return writeAtRevision(this.kv, key, JSON.stringify({ until, owner }), revision, () => new RunRecordConflictError(key));
  }
}
