/**
 * `nudge api`: connects to NATS (reconnecting for as long as it takes), makes sure the raw and audit
 * streams exist, and serves the HTTP API on NUDGE_API_HOST:NUDGE_API_PORT with the tokens of
 * NUDGE_API_TOKENS. The routes run the operator commands' own functions: readProfile (`nudge
 * profile`), exportUser / eraseUser (`nudge export` / `nudge erase`, which open their own NATS and
 * Temporal connections per call), and the collector's publishEvent. Erase touches every store, so with
 * `nudge nats-config` the API runs with the operator's NATS credentials.
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { loadConfig, type Config } from '../../platform/config';
import { createLogger, type Logger } from '../../platform/logger';
import { natsConnectOptions } from '../../platform/nats/connect-options';
import { publishEvent } from '../../platform/nats/publisher';
import { watchConnection } from '../../platform/nats/watch-connection';
import { ensureStreams } from '../../platform/nats/setup';
import { eraseUser } from '../privacy/erase-user';
import { exportUser } from '../privacy/export-user';
import { readProfile } from '../profile/profile-command';
import type { ApiOperations } from './api-routes';
import { startApiServer, type ApiServer } from './api-server';
import { ensureAuditStream, jetStreamAuditLog } from './audit-log';

export interface ApiServiceOptions {
  config?: Config;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

export async function startApiService(options: ApiServiceOptions = {}): Promise<ApiServer> {
  const config = options.config ?? loadConfig();
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger('nudge-api', config.LOG_LEVEL);
  if (config.NUDGE_API_TOKENS.length === 0) log.warn('NUDGE_API_TOKENS is empty: every request but /openapi.json and /healthz is refused (create one with `nudge api token create`)');
  const nc = await connect({ ...natsConnectOptions(config, 'nudge-api'), maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  let connected = true;
  void watchConnection(nc, log, (now) => (connected = now), '/healthz answers 503'); // ends when the connection closes
  try {
    const jsm = await ensureStreams(nc, { partitions: config.NUDGE_PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW, replicas: config.NUDGE_REPLICAS });
    await ensureAuditStream(jsm, config.NUDGE_REPLICAS);
    const js = jetstream(nc, { timeout: 5000 });
    const ops: ApiOperations = {
      readProfile: (id, { temporal }) => readProfile(config, id, { temporal }),
      exportUser: (id) => exportUser(config, id, env),
      eraseUser: (id) => eraseUser(config, id, env),
      publish: (event) => publishEvent(js, event),
    };
    const server = await startApiServer({ port: config.NUDGE_API_PORT, host: config.NUDGE_API_HOST, tokens: config.NUDGE_API_TOKENS, ops, audit: jetStreamAuditLog(js), ready: () => connected && !nc.isClosed(), log });
    return {
      ...server,
      async stop() {
        await server.stop();
        await nc.drain().catch(() => undefined);
        log.info('API stopped');
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
