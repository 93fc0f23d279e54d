/**
 * Compare-and-set writes to a KV bucket, pipelined: each write is a JetStream publish to the key's
 * subject with Nats-Expected-Last-Subject-Sequence (what kv.update / kv.create send), its PubAck
 * awaited on the connection's one reply subscription (platform/nats/pub-ack-pipeline.ts) instead of a
 * request per write. The resolver writes a whole batch's keys at once, so the request machinery was a
 * large part of what a graph write cost it.
 *
 * A lost compare-and-set is a PubAckRefusedError with errCode WRONG_LAST_SEQUENCE ("wrong last
 * sequence" in its text, which isCasFailure reads); no answer in time a PubAckTimeoutError.
 */
import { Bucket, type KV } from '@nats-io/kv';
import { headers } from '@nats-io/transport-node';
import { PubAckPipeline } from '../../platform/nats/pub-ack-pipeline';

/** JetStream's error code for a failed Nats-Expected-Last-Subject-Sequence check. */
export const WRONG_LAST_SEQUENCE = 10071;

export class PipelinedKvWriter {
  constructor(private readonly pipeline: PubAckPipeline, private readonly bucket: Bucket) {}

  /** The writer for `kv`'s connection, or null when `kv` is not a bucket of this client (then use kv.update). */
  static of(kv: KV, timeoutMs?: number): PipelinedKvWriter | null {
    if (!(kv instanceof Bucket)) return null;
    const pipeline = PubAckPipeline.ofApiClient(kv.js, timeoutMs);
    return pipeline && new PipelinedKvWriter(pipeline, kv);
  }

  /** Writes `data` under `key` if its last revision is `revision` (0: it has none); resolves with the new revision. */
  write(key: string, data: string, revision: number): Promise<number> {
    const h = headers(); // fresh: append is set without looking for a value to replace first
    h.append('Nats-Expected-Last-Subject-Sequence', String(revision));
    return this.pipeline.publish(this.bucket.subjectForKey(key, true), data, h);
  }
}
