/** Starts a nats-server with JetStream on loopback, storing into a directory of the caller's choice. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { natsServerBinary } from './binaries';
import { freePort, spawnServer, waitUntilReady } from './process';

export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  stop(): Promise<void>;
}

export async function startNats(options: { port?: number; storeDir?: string } = {}): Promise<NatsServerHandle> {
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'nudge-nats-'));
  const proc = spawnServer('nats-server', natsServerBinary(), ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir]);
  const url = `nats://127.0.0.1:${port}`;
  await waitUntilReady('nats-server', proc, async () => {
    const nc = await connect({ servers: url, timeout: 500, reconnect: false });
    await nc.close();
    return true;
  }, 15_000);
  return { url, port, storeDir, stop: () => proc.stop() };
}
