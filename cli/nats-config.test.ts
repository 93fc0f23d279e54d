import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NatsConfigError, writeNatsConfig } from './nats-config-command';
import { permissionsOf, SERVICES } from './nats-permissions';

const options = (out: string) => ({ out, listen: '0.0.0.0:4222', url: 'tls://nats.internal:4222', storeDir: '/var/lib/nats', encryptionKeyEnv: 'NUDGE_NATS_KEY' });

describe('the permission table', () => {
  it('lets the collector publish raw events and touch no bucket, partition or consumer', () => {
    const { publish, subscribe } = permissionsOf('collector');
    expect(publish).toContain('nudge.raw');
    expect(publish.filter((subject) => /\$KV|nudge\.events|nudge\.dead|KV_|CONSUMER|CREATE|>/.test(subject))).toEqual([]);
    expect(subscribe).toEqual(['_INBOX_collector.>']);
  });

  it('gives the worker the state bucket to read only, and every service its own inbox', () => {
    expect(permissionsOf('worker').publish).toContain('$JS.API.DIRECT.GET.KV_nudge_users');
    expect(permissionsOf('worker').publish).not.toContain('$KV.nudge_users.>');
    expect(permissionsOf('engine').publish).toContain('$KV.nudge_users.>');
    expect(new Set(SERVICES.map((service) => permissionsOf(service).subscribe.join()))).toHaveProperty('size', SERVICES.length);
  });
});

describe('writeNatsConfig', () => {
  it('writes passwords into the server config and each service\'s env file, readable by the owner only', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nudge-nats-config-')), 'nats');
    writeNatsConfig({ ...options(out), tlsCert: '/etc/nats/server.pem', tlsKey: '/etc/nats/server-key.pem', tlsCa: '/etc/nats/ca.pem', verifyClients: true });
    const server = readFileSync(join(out, 'nats-server.conf'), 'utf8');
    const env = readFileSync(join(out, 'engine.env'), 'utf8');
    const password = /NATS_PASSWORD=(.+)/.exec(env)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(server).toContain(`user: "engine", password: "${password}"`);
    expect(server).toMatch(/cipher: chachapoly\n\s+key: \$NUDGE_NATS_KEY/);
    expect(server).toMatch(/ca_file: "\/etc\/nats\/ca.pem"[\s\S]*verify: true/);
    expect(env).toContain('NATS_URL=tls://nats.internal:4222\nNATS_INBOX_PREFIX=_INBOX_engine\nNATS_USER=engine');
    expect(env).toContain('NATS_TLS_CA=/etc/nats/ca.pem');
    expect(statSync(join(out, 'nats-server.conf')).mode & 0o077).toBe(0);
  });

  it('refuses to overwrite a config, and TLS settings that cannot work', () => {
    const out = mkdtempSync(join(tmpdir(), 'nudge-nats-config-'));
    writeNatsConfig({ ...options(out), nkeys: true });
    expect(readFileSync(join(out, 'nats-server.conf'), 'utf8')).toMatch(/nkey: U[A-Z2-7]{55}/);
    expect(() => writeNatsConfig(options(out))).toThrow(/exists: remove it/);
    const fresh = mkdtempSync(join(tmpdir(), 'nudge-nats-config-'));
    expect(() => writeNatsConfig({ ...options(fresh), tlsCert: '/c.pem' })).toThrow(NatsConfigError);
    expect(() => writeNatsConfig({ ...options(fresh), tlsCert: '/c.pem', tlsKey: '/k.pem', verifyClients: true })).toThrow(/--verify-clients needs --tls-ca/);
  });
});
