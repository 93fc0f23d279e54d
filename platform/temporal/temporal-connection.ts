/**
 * Every Temporal client and worker connects through these builders, so TLS, mutual TLS, an API key
 * (Temporal Cloud) and payload encryption are set once, in configuration, and cannot be forgotten by one
 * service. The options are built from files read at connect time: a renewed certificate takes effect at
 * the next start.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Client, Connection, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './payload-codec';
import { payloadKeysOf } from './payload-keys';
import type { Config } from '../config';

export type TemporalConfig = Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY' | 'NUDGE_PAYLOAD_KEYS' | 'NUDGE_PAYLOAD_KEY_CURRENT'>;

/** Options shared by the client Connection and the worker's NativeConnection (both take address, tls, apiKey). */
export interface TemporalConnectOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

const readPem = (setting: string, path: string): Buffer => {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`${setting}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
};

/**
 * TLS is on when asked for (TEMPORAL_TLS=true), when any TLS file is given, or with an API key
 * (Temporal Cloud accepts API keys only over TLS).
 */
export function temporalConnectOptions(config: TemporalConfig): TemporalConnectOptions {
  const tlsOn = config.TEMPORAL_TLS || Boolean(config.TEMPORAL_TLS_CA || config.TEMPORAL_TLS_CERT || config.TEMPORAL_API_KEY || config.TEMPORAL_TLS_SERVER_NAME);
  const tls: TLSConfig | undefined = tlsOn
    ? {
        ...(config.TEMPORAL_TLS_CA ? { serverRootCACertificate: readPem('TEMPORAL_TLS_CA', config.TEMPORAL_TLS_CA) } : {}),
        ...(config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY
          ? { clientCertPair: { crt: readPem('TEMPORAL_TLS_CERT', config.TEMPORAL_TLS_CERT), key: readPem('TEMPORAL_TLS_KEY', config.TEMPORAL_TLS_KEY) } }
          : {}),
        ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
      }
    : undefined;
  return { address: config.TEMPORAL_ADDRESS, ...(tls ? { tls } : {}), ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}) };
}

/** The failure converter module, by path: the worker bundles it into the workflow sandbox (bundleJourneyWorkflows). */
export const FAILURE_CONVERTER_PATH = createRequire(import.meta.url).resolve('./failure-converter.ts');

/**
 * Payloads encrypted with the configured keys (none: stored as JSON, nudge dev), and failure messages
 * and stack traces always moved into a payload, so clients and workers agree on failures whether or not
 * encryption is on, and with it on the codec encrypts them too.
 */
export function temporalDataConverter(config: Pick<TemporalConfig, 'NUDGE_PAYLOAD_KEYS' | 'NUDGE_PAYLOAD_KEY_CURRENT'>): DataConverter {
  const keys = payloadKeysOf(config);
  return { failureConverterPath: FAILURE_CONVERTER_PATH, ...(keys ? { payloadCodecs: [new AesGcmPayloadCodec(keys)] } : {}) };
}

export interface TemporalClientHandle {
  connection: Connection;
  client: Client;
}

/** A client of the configured namespace; a connection failure names the address. */
export async function connectTemporalClient(config: TemporalConfig, extra: Partial<ConnectionOptions> = {}): Promise<TemporalClientHandle> {
  const connection = await Connection.connect({ ...temporalConnectOptions(config), ...extra }).catch((error: unknown) => {
    throw new Error(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS}: ${(error as Error).message}`, { cause: error });
  });
  return { connection, client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter(config) }) };
}
