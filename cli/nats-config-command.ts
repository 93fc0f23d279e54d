/**
 * `nudge nats-config`: makes one NATS credential per service (a random password, or an nkey pair with
 * --nkeys) and writes the server config and each service's environment file into a directory. Files
 * holding secrets are written 0600, and an existing config is never overwritten: a second run would
 * change every service's credentials at once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { renderEnvFile, renderServerConfig, serviceEnvironment, type NatsConfigInput, type ServiceCredentials } from './nats-config';
import { SERVICES, type Service } from './nats-permissions';

export interface NatsConfigOptions {
  out: string;
  nkeys?: boolean;
  listen: string;
  url: string;
  storeDir: string;
  encryptionKeyEnv: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  verifyClients?: boolean;
}

export class NatsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NatsConfigError';
  }
}

function credentialsFor(service: Service, dir: string, useNkeys: boolean): ServiceCredentials {
  if (!useNkeys) return { kind: 'password', password: randomBytes(24).toString('base64url') };
  const pair = nkeys.createUser();
  const seedFile = join(dir, `${service}.nk`);
  writeFileSync(seedFile, new TextDecoder().decode(pair.getSeed()) + '\n', { mode: 0o600 });
  return { kind: 'nkey', publicKey: pair.getPublicKey(), seedFile };
}

/** Writes nats-server.conf and <service>.env (and <service>.nk) into `out`; returns the files written. */
export function writeNatsConfig(options: NatsConfigOptions): string[] {
  const dir = resolve(options.out);
  const serverFile = join(dir, 'nats-server.conf');
  if (existsSync(serverFile)) throw new NatsConfigError(`${serverFile} exists: remove it (every service then needs its new credentials) or pick another --out`);
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) throw new NatsConfigError('--tls-cert and --tls-key: give both, or neither');
  if (options.verifyClients && !options.tlsCa) throw new NatsConfigError('--verify-clients needs --tls-ca, the CA that signed the clients\' certificates');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const credentials = Object.fromEntries(SERVICES.map((service) => [service, credentialsFor(service, dir, Boolean(options.nkeys))])) as Record<Service, ServiceCredentials>;
  const input: NatsConfigInput = {
    credentials,
    listen: options.listen,
    url: options.url,
    storeDir: options.storeDir,
    encryptionKeyEnv: options.encryptionKeyEnv,
    ...(options.tlsCert && options.tlsKey
      ? { tls: { cert: options.tlsCert, key: options.tlsKey, ...(options.tlsCa ? { ca: options.tlsCa } : {}), verifyClients: Boolean(options.verifyClients) } }
      : {}),
  };
  writeFileSync(serverFile, renderServerConfig(input), { mode: 0o600 });
  const files = [serverFile];
  for (const service of SERVICES) {
    const envFile = join(dir, `${service}.env`);
    writeFileSync(envFile, renderEnvFile(serviceEnvironment(service, input)), { mode: 0o600 });
    files.push(envFile);
    const cred = credentials[service];
    if (cred.kind === 'nkey') files.push(cred.seedFile);
  }
  return files;
}
