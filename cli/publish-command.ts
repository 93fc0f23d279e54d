/** `nudge publish [file]`: publishes Segment-style events from a JSONL file or stdin. */
import { createReadStream } from 'node:fs';
import { natsConnectOptions } from '../platform/nats/connect-options';
import { createInterface } from 'node:readline';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Config } from '../platform/config';
import { publishJsonLines } from '../platform/nats/publisher';
import { ensureStreams } from '../platform/nats/setup';

export async function runPublish(config: Config, file: string | undefined, out: (line: string) => void = console.log): Promise<number> {
  const input = file && file !== '-' ? createReadStream(file) : process.stdin;
  const nc = await connect(natsConnectOptions(config, 'nudge-publish'));
  try {
    await ensureStreams(nc, { partitions: config.NUDGE_PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW, replicas: config.NUDGE_REPLICAS });
    const result = await publishJsonLines(jetstream(nc), createInterface({ input, crlfDelay: Infinity }));
    for (const problem of result.problems) out(`${file ?? 'stdin'}:${problem.line}: ${problem.reason}`);
    out(`published ${result.published}, duplicates dropped ${result.duplicates}, rejected ${result.problems.length}`);
    return result.problems.length ? 1 : 0;
  } finally {
    await nc.drain();
  }
}
