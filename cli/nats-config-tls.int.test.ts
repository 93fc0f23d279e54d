/**
 * The generated config with passwords and mutual TLS on a real nats-server: a service with its
 * env file, the CA and a client certificate connects and publishes; without the CA, without a client
 * certificate, or with a wrong password it is refused; the collector's password still cannot read state.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../dev/servers/nats';
import { freePort } from '../dev/servers/process';
import { loadConfig } from '../platform/config';
import { natsConnectOptions } from '../platform/nats/connect-options';
import { ensureStreams, openBucket, USERS_BUCKET } from '../platform/nats/setup';
import { publishEvent } from '../platform/nats/publisher';
import { makeTestCertificates, type TestCertificates } from '../test/support/test-certificates';
import { writeNatsConfig } from './nats-config-command';
import { parseEnvFile } from './nats-config';
import type { Service } from './nats-permissions';

let server: NatsServerHandle;
let dir: string;
let certs: TestCertificates;
const open: NatsConnection[] = [];

function envOf(service: Service, extra: Record<string, string> = {}): Record<string, string> {
  return { ...parseEnvFile(readFileSync(join(dir, `${service}.env`), 'utf8')), NATS_TLS_CERT: certs.clientCert, NATS_TLS_KEY: certs.clientKey, ...extra };
}

async function connectWith(env: Record<string, string>): Promise<NatsConnection> {
  const nc = await connect({ ...natsConnectOptions(loadConfig(env), 'test'), reconnect: false, timeout: 3000 });
  open.push(nc);
  return nc;
}

beforeAll(async () => {
  certs = makeTestCertificates();
  dir = mkdtempSync(join(tmpdir(), 'nudge-nats-tls-'));
  const port = await freePort();
  writeNatsConfig({
    out: dir, listen: `127.0.0.1:${port}`, url: `tls://127.0.0.1:${port}`, storeDir: mkdtempSync(join(tmpdir(), 'nudge-nats-tls-store-')),
    encryptionKeyEnv: 'NUDGE_TEST_NATS_KEY', tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsCa: certs.ca, verifyClients: true,
  });
  process.env.NUDGE_TEST_NATS_KEY = 'test-key-0123456789abcdef0123456789ab';
  server = await startNats({ port, configText: readFileSync(join(dir, 'nats-server.conf'), 'utf8'), probe: natsConnectOptions(loadConfig(envOf('operator')), 'probe') });
  const engine = await connectWith(envOf('engine'));
  await ensureStreams(engine, { partitions: 4, duplicateWindowMs: 60_000 });
  await openBucket(engine, USERS_BUCKET);
}, 30_000);

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  await server?.stop();
});

describe('nudge nats-config with passwords and mutual TLS', () => {
  it('connects a service with its password, the CA and its client certificate', async () => {
    const collector = await connectWith(envOf('collector'));
    const event = { type: 'track' as const, event: 'page_viewed', userId: 'ann', properties: {}, context: {}, timestamp: '2026-12-01T10:00:00.000Z', messageId: 'tls-1' };
    expect(await publishEvent(jetstream(collector), event)).toBe('published');
    const read = await (await new Kvm(collector).open(USERS_BUCKET)).get('u.YW5u').then(() => 'read', (error: unknown) => String(error));
    expect(read).toMatch(/permission/i);
  }, 20_000);

  it('refuses a wrong password, a client without a certificate, and one that does not trust the CA', async () => {
    const attempt = (env: Record<string, string>) => connectWith(env).then(() => 'connected', (error: unknown) => String(error));
    expect(await attempt(envOf('collector', { NATS_PASSWORD: 'not-the-password' }))).toMatch(/authorization/i);
    const { NATS_TLS_CERT: _cert, NATS_TLS_KEY: _key, ...noClientCert } = envOf('collector');
    expect(await attempt(noClientCert)).toMatch(/certificate required/i);
    const { NATS_TLS_CA: _ca, ...noCa } = envOf('collector');
    expect(await attempt(noCa)).toMatch(/certificate/i);
  }, 20_000);
});
