/**
 * Starts a nats-server with JetStream on loopback, storing into a directory of the caller's choice.
 * The server reads a generated config file rather than flags, because JetStream encryption at rest
 * (`cipher`, `key`) and accounts/TLS (`nudge nats-config`) exist only as config.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from '@nats-io/transport-node';
import { natsServerBinary } from './binaries';
import { freePort, spawnServer, waitUntilReady } from './process';

export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  /** The server's process id (a benchmark reads its memory from /proc). */
  pid: number;
  /** The key its store is encrypted with, if any: a restart over the same store needs it. */
  encryption?: NatsServerOptions['encryption'];
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  port?: number;
  storeDir?: string;
  /** Turns on JetStream encryption at rest: every stream and KV bucket file is written with this key. */
  encryption?: { cipher: 'chachapoly' | 'aes'; key: string };
  /** More server config (e.g. the accounts and TLS `nudge nats-config` writes), appended as it is. */
  extraConfig?: string;
  /** A whole server config used as it is (its own listen, store and accounts): a generated production config under test. */
  configText?: string;
  /** How the readiness probe connects, when the extra config requires credentials or TLS. */
  probe?: Partial<ConnectionOptions>;
}

const quoted = (text: string) => JSON.stringify(text);

/** The server config; a function of its options so the encryption block is checked without a server. */
export function natsServerConfig(port: number, storeDir: string, options: NatsServerOptions = {}): string {
  const jetstream = [`  store_dir: ${quoted(storeDir)}`];
  if (options.encryption) jetstream.push(`  cipher: ${options.encryption.cipher}`, `  key: ${quoted(options.encryption.key)}`);
  return [`listen: "127.0.0.1:${port}"`, `jetstream {`, ...jetstream, `}`, options.extraConfig ?? ''].join('\n') + '\n';
}

export async function startNats(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'nudge-nats-'));
  // Outside the store dir, so a test grepping the store for PII does not find the key's own file; 0600 as it holds the key.
  const configFile = join(mkdtempSync(join(tmpdir(), 'nudge-nats-conf-')), 'nats-server.conf');
  writeFileSync(configFile, options.configText ?? natsServerConfig(port, storeDir, options), { mode: 0o600 });
  const proc = spawnServer('nats-server', natsServerBinary(), ['-c', configFile]);
  const url = `nats://127.0.0.1:${port}`;
  await waitUntilReady('nats-server', proc, async () => {
    const nc = await connect({ ...options.probe, servers: url, timeout: 500, reconnect: false });
    await nc.close();
    return true;
  }, 15_000);
  return { url, port, storeDir, pid: proc.child.pid!, ...(options.encryption ? { encryption: options.encryption } : {}), stop: () => proc.stop() };
}
