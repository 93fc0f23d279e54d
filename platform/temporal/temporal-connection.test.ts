import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';
import { AesGcmPayloadCodec } from './payload-codec';
import { FAILURE_CONVERTER_PATH, temporalConnectOptions, temporalDataConverter } from './temporal-connection';

const dir = mkdtempSync(join(tmpdir(), 'nudge-temporal-tls-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('temporalConnectOptions', () => {
  it('nudge dev: plain address, no TLS, no API key', () => {
    expect(temporalConnectOptions(loadConfig({}))).toEqual({ address: '127.0.0.1:7233' });
  });

  it('a self-hosted cluster with a private CA and mutual TLS: the files are read and passed', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS_CA: file('ca.pem', 'CA'), TEMPORAL_TLS_CERT: file('c.pem', 'CERT'), TEMPORAL_TLS_KEY: file('k.pem', 'KEY'),
      TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal',
    });
    const options = temporalConnectOptions(config);
    expect(options.address).toBe('temporal.internal:7233');
    expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toBe('CA');
    expect(Buffer.from(options.tls!.clientCertPair!.crt).toString()).toBe('CERT');
    expect(Buffer.from(options.tls!.clientCertPair!.key).toString()).toBe('KEY');
    expect(options.tls!.serverNameOverride).toBe('frontend.temporal');
  });

  it('Temporal Cloud with an API key: TLS with the system CAs and the key', () => {
    expect(temporalConnectOptions(loadConfig({ TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233', TEMPORAL_API_KEY: 'secret-key' }))).toEqual({
      address: 'eu-west-1.aws.api.temporal.io:7233', tls: {}, apiKey: 'secret-key',
    });
    expect(temporalConnectOptions(loadConfig({ TEMPORAL_TLS: 'true' })).tls).toEqual({});
  });

  it('a missing file names the setting; half a client certificate is a configuration error', () => {
    expect(() => temporalConnectOptions(loadConfig({ TEMPORAL_TLS_CA: join(dir, 'missing.pem') }))).toThrow(/TEMPORAL_TLS_CA: cannot read .*missing\.pem/);
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: file('only.pem', 'CERT') })).toThrow(ConfigError);
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: file('only.pem', 'CERT') })).toThrow(/TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY: set both/);
  });
});

describe('temporalDataConverter', () => {
  it('always encodes failure messages into a payload; encrypts payloads only with keys', () => {
    expect(temporalDataConverter(loadConfig({}))).toEqual({ failureConverterPath: FAILURE_CONVERTER_PATH });
    const converter = temporalDataConverter(loadConfig({ NUDGE_PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}` }));
    expect(converter.payloadCodecs?.[0]).toBeInstanceOf(AesGcmPayloadCodec);
  });
});
