/**
 * Committed stream positions, one per consuming task (a partition, the identity resolver), in a NATS KV
 * bucket. A task resumes after its checkpoint, in stream order, so a crash replays at most the batch
 * it had not committed. Writes are compare-and-set on the revision the task read when it took the
 * task over: an owner that lost its lease (and whose successor committed since) is refused, which is
 * the fence against two owners.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { writeAtRevision } from '../../platform/nats/compare-and-set';

export const CHECKPOINTS_BUCKET = 'nudge_checkpoints';

export interface Checkpoint {
  /** The last stream sequence whose effects are all durable. */
  seq: number;
  /** KV revision of the checkpoint; 0 when none was ever written. */
  revision: number;
}

/** The checkpoint moved under us: another process owns the task now. */
export class FencedError extends Error {
  constructor(readonly task: string) {
    super(`checkpoint of ${task} was committed by another engine: this engine no longer owns it`);
    this.name = 'FencedError';
  }
}

export class CheckpointStore {
  constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, replicas = 1): Promise<CheckpointStore> {
    return new CheckpointStore(await new Kvm(nc).create(CHECKPOINTS_BUCKET, { history: 1, replicas }));
  }

  async load(task: string): Promise<Checkpoint> {
    const entry = await this.kv.get(task);
    if (!entry || entry.operation !== 'PUT') return { seq: 0, revision: entry?.revision ?? 0 };
    return { seq: (entry.json<{ seq: number }>()).seq, revision: entry.revision };
  }

  /** Moves the checkpoint to `seq`; FencedError when somebody else wrote it since `revision`. */
  async commit(task: string, seq: number, revision: number, owner: string): Promise<number> {
    return writeAtRevision(this.kv, task, JSON.stringify({ seq, owner, at: Date.now() }), revision, () => new FencedError(task));
  }
}

export const partitionTask = (partition: number) => `p.${partition}`;
export const RESOLVER_TASK = 'resolver';
