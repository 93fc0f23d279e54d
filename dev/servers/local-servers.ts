/**
 * NATS and Temporal (with its Web UI and SQLite persistence) for local work and the demo, on the
 * default ports when they are free (so the engine's defaults reach them), else on free ports.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { startNats, type NatsServerHandle } from './nats';
import { freePort } from './process';
import { startTemporal, type TemporalServerHandle } from './temporal';

export interface LocalServers {
  nats: NatsServerHandle;
  temporal: TemporalServerHandle;
  stop(): Promise<void>;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/**
 * The key JetStream encrypts its store with, made at first run and kept beside the data it protects
 * (in the git-ignored .nudge dir): the same key must open the store again on the next start.
 */
export function devEncryptionKey(dataDir: string): string {
  const file = join(dataDir, 'nats-encryption.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

export const preferredPort = async (port: number) => ((await portIsFree(port)) ? port : freePort());

export async function startLocalServers(options: { dataDir: string; freshEvents?: boolean; uiCodecEndpoint?: string }): Promise<LocalServers> {
  const dataDir = resolve(options.dataDir);
  const natsDir = join(dataDir, 'nats');
  if (options.freshEvents) rmSync(natsDir, { recursive: true, force: true });
  mkdirSync(natsDir, { recursive: true });
  const encryption = { cipher: 'chachapoly' as const, key: devEncryptionKey(dataDir) };
  const nats = await startNats({ port: await preferredPort(4222), storeDir: natsDir, encryption });
  try {
    const temporal = await startTemporal({ port: await preferredPort(7233), uiPort: await preferredPort(8233), dbFile: join(dataDir, 'temporal.db'), ...(options.uiCodecEndpoint ? { uiCodecEndpoint: options.uiCodecEndpoint } : {}) });
    return { nats, temporal, stop: async () => { await temporal.stop(); await nats.stop(); } };
  } catch (error) {
    await nats.stop();
    throw error;
  }
}
