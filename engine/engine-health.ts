/**
 * How far behind each owned partition is, and whether the engine is ready: the Prometheus gauges
 * `nudge_partition_pending` (messages not yet committed) and `nudge_partition_oldest_unprocessed_seconds`
 * (age of the oldest of them), and `/healthz`, which answers 503 with the reasons while NATS is
 * disconnected, Temporal does not answer, a partition has unprocessed messages but committed nothing
 * for `stuckAfterMs`, or the engine refused the deployed rule set revision (it runs older rules).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { Gauge, type Registry } from 'prom-client';
import { EVENTS_STREAM, partitionSubject } from './events/subjects';
import type { BatchReader } from '../platform/nats/stream-batches';

export interface PartitionLag {
  partition: number;
  pending: number;
  oldestUnprocessedMs: number;
}

export interface Health {
  ready: boolean;
  reasons: string[];
}

export class EngineHealth {
  private readonly readers = new Map<number, BatchReader>();
  private readonly lastCommit = new Map<number, { at: number; seq: number }>();
  natsConnected = true;
  temporalReachable = true;
  /** Why this engine does not run the deployed rule set (a revision it refused), or null. */
  rulesProblem: () => string | null = () => null;

  constructor(registry: Registry, private readonly jsm: JetStreamManager, private readonly stuckAfterMs: number, private readonly now: () => number = Date.now) {
    const self = this;
    // Each gauge is sampled when scraped (an idle engine costs nothing); one lag sample serves all three.
    let sample: { at: number; lag: Promise<PartitionLag[]> } | null = null;
    const lagNow = () => {
      if (!sample || this.now() - sample.at > 250) sample = { at: this.now(), lag: self.lag() };
      return sample.lag;
    };
    new Gauge({
      name: 'nudge_partition_pending',
      help: 'Messages of an owned partition not yet committed',
      labelNames: ['partition'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const lag of await lagNow()) this.set({ partition: String(lag.partition) }, lag.pending);
      },
    });
    new Gauge({
      name: 'nudge_partition_oldest_unprocessed_seconds',
      help: 'Age of the oldest message of an owned partition not yet committed (0 when none)',
      labelNames: ['partition'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const lag of await lagNow()) this.set({ partition: String(lag.partition) }, lag.oldestUnprocessedMs / 1000);
      },
    });
    new Gauge({
      name: 'nudge_partitions_owned',
      help: 'Partitions this engine owns now',
      registers: [registry],
      collect() {
        this.set(self.readers.size);
      },
    });
  }

  setReader(partition: number, reader: BatchReader | null): void {
    if (reader) this.readers.set(partition, reader);
    else this.readers.delete(partition);
  }

  committed(partition: number, lastSeq: number): void {
    this.lastCommit.set(partition, { at: this.now(), seq: lastSeq });
  }

  async lag(): Promise<PartitionLag[]> {
    return Promise.all(
      [...this.readers.entries()].map(async ([partition, reader]) => {
        const { buffered, pending, oldestBufferedMs } = await reader.lag();
        let oldestAt = oldestBufferedMs;
        if (oldestAt === null && pending > 0) {
          // Nothing read ahead yet: the oldest unprocessed message is the next one after the last commit.
          const next = await this.jsm.streams.getMessage(EVENTS_STREAM, { next_by_subj: partitionSubject(partition), seq: (this.lastCommit.get(partition)?.seq ?? 0) + 1 } as never).catch(() => null);
          oldestAt = next ? next.time.getTime() : null;
        }
        return { partition, pending: buffered + pending, oldestUnprocessedMs: oldestAt === null ? 0 : Math.max(0, this.now() - oldestAt) };
      }),
    );
  }

  async health(): Promise<Health> {
    const reasons: string[] = [];
    if (!this.natsConnected) reasons.push('NATS is disconnected');
    if (!this.temporalReachable) reasons.push('Temporal does not answer');
    const rules = this.rulesProblem();
    if (rules) reasons.push(rules);
    for (const lag of await this.lag().catch(() => [])) {
      const last = this.lastCommit.get(lag.partition)?.at ?? 0;
      if (lag.pending > 0 && lag.oldestUnprocessedMs > this.stuckAfterMs && this.now() - last > this.stuckAfterMs) {
        reasons.push(`partition ${lag.partition} is stuck: ${lag.pending} messages waiting, the oldest for ${Math.round(lag.oldestUnprocessedMs / 1000)} s, nothing committed for ${Math.round((this.now() - last) / 1000)} s`);
      }
    }
    return { ready: reasons.length === 0, reasons };
  }
}
