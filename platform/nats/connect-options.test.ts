import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { NatsCredentialsError, natsConnectOptions } from './connect-options';

describe('natsConnectOptions', () => {
  it('connects without credentials or TLS by default (nudge dev)', () => {
    expect(natsConnectOptions(loadConfig({}), 'nudge-engine')).toEqual({ servers: ['nats://127.0.0.1:4222'], name: 'nudge-engine' });
  });

  it('passes the user and password, every server of the list, and TLS files', () => {
    const config = loadConfig({ NATS_URL: 'tls://a:4222, tls://b:4222', NATS_USER: 'collector', NATS_PASSWORD: 'pw', NATS_TLS_CA: '/ca.pem', NATS_TLS_CERT: '/c.pem', NATS_TLS_KEY: '/k.pem' });
    expect(natsConnectOptions(config, 'nudge-collect')).toEqual({
      servers: ['tls://a:4222', 'tls://b:4222'], name: 'nudge-collect', user: 'collector', pass: 'pw',
      tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
    });
  });

  it('authenticates with the nkey seed file, and names the setting when the file is missing', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nudge-seed-')), 'engine.nk');
    writeFileSync(file, 'SUAA4O5N2DPWF7LJUFITKRNSU7QMMWYLZLYOR7INBGU4MIRGFVRSPNRATA\n');
    expect(natsConnectOptions(loadConfig({ NATS_NKEY_SEED_FILE: file }), 'e').authenticator).toBeTypeOf('function');
    expect(() => natsConnectOptions(loadConfig({ NATS_NKEY_SEED_FILE: `${file}.gone` }), 'e')).toThrow(NatsCredentialsError);
    expect(() => natsConnectOptions(loadConfig({ NATS_NKEY_SEED_FILE: `${file}.gone` }), 'e')).toThrow(/NATS_NKEY_SEED_FILE: cannot read/);
  });

  it('refuses credentials that cannot work together, naming the settings', () => {
    expect(() => loadConfig({ NATS_USER: 'u' })).toThrow(/NATS_PASSWORD: needed with NATS_USER/);
    expect(() => loadConfig({ NATS_USER: 'u', NATS_PASSWORD: 'p', NATS_CREDS: '/x.creds' })).toThrow(/NATS_USER, NATS_CREDS: set only one kind/);
    expect(() => loadConfig({ NATS_TLS_CERT: '/c.pem' })).toThrow(/NATS_TLS_CERT, NATS_TLS_KEY: set both/);
  });
});
