/**
 * How every nudge process connects to NATS: the servers, this process's own credentials (user and
 * password, an nkey seed file or a creds file — `nudge nats-config` makes one user per service) and TLS
 * (a private CA, a client certificate for mutual TLS). One function, so no connect() call can forget
 * the credentials or TLS that the others use.
 */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';

/** The NATS settings of platform/config.ts (validated together there). */
export interface NatsConnectSettings {
  NATS_URL: string;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_NKEY_SEED_FILE?: string | undefined;
  NATS_CREDS?: string | undefined;
  NATS_TLS_CA?: string | undefined;
  NATS_TLS_CERT?: string | undefined;
  NATS_TLS_KEY?: string | undefined;
  NATS_INBOX_PREFIX?: string | undefined;
}

/** A credentials or TLS file named in the configuration cannot be read: not retryable, the operator must fix it. */
export class NatsCredentialsError extends Error {
  readonly retryable = false;
  constructor(setting: string, file: string, cause: unknown) {
    super(`${setting}: cannot read ${file}: ${(cause as Error).message}`, { cause });
    this.name = 'NatsCredentialsError';
  }
}

function readSetting(setting: string, file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new NatsCredentialsError(setting, file, error);
  }
}

/** The connection options for `name` (shown in the server's connection list): spread further options after them. */
export function natsConnectOptions(config: NatsConnectSettings, name: string): NodeConnectionOptions {
  const options: NodeConnectionOptions = { servers: config.NATS_URL.split(',').map((url) => url.trim()).filter(Boolean), name };
  // Replies (request answers, JetStream acks, consumer deliveries) come to this prefix, which only this service may read.
  if (config.NATS_INBOX_PREFIX) options.inboxPrefix = config.NATS_INBOX_PREFIX;
  if (config.NATS_USER) {
    options.user = config.NATS_USER;
    options.pass = config.NATS_PASSWORD;
  } else if (config.NATS_NKEY_SEED_FILE) {
    // The seed file may hold a trailing newline (as `nudge nats-config` and editors write it).
    const seed = new TextEncoder().encode(new TextDecoder().decode(readSetting('NATS_NKEY_SEED_FILE', config.NATS_NKEY_SEED_FILE)).trim());
    options.authenticator = nkeyAuthenticator(seed);
  } else if (config.NATS_CREDS) {
    options.authenticator = credsAuthenticator(readSetting('NATS_CREDS', config.NATS_CREDS));
  }
  if (config.NATS_TLS_CA || config.NATS_TLS_CERT) {
    options.tls = {
      ...(config.NATS_TLS_CA ? { caFile: config.NATS_TLS_CA } : {}),
      ...(config.NATS_TLS_CERT ? { certFile: config.NATS_TLS_CERT, keyFile: config.NATS_TLS_KEY } : {}),
    };
  }
  return options;
}
