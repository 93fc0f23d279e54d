/**
 * `nudge collect`: connects to NATS (reconnecting for as long as it takes), makes sure the events
 * stream exists, and serves the Segment HTTP Tracking API on NUDGE_COLLECT_HOST:NUDGE_COLLECT_PORT.
 */
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { natsConnectOptions } from '../../platform/nats/connect-options';
import { connect } from '@nats-io/transport-node';
import { loadConfig, type Config } from '../../platform/config';
import type { EventEnvelope } from '../events/envelope';
import { publishEvent } from '../../platform/nats/publisher';
import { watchConnection } from '../../platform/nats/watch-connection';
import { createLogger, type Logger } from '../../platform/logger';
import { ensureStreams } from '../../platform/nats/setup';
import { startCollectServer, type CollectServer, type EventSink } from './collect-server';

export interface CollectServiceOptions {
  config?: Config;
  log?: Logger;
  /**
   * How long one publish waits for JetStream's acknowledgement (ms; default 5000). Below the SDKs'
   * request timeout (analytics-node: 10 s), so a tracker hears 503 and retries instead of timing out.
   */
  publishTimeoutMs?: number;
}

/** Events go to the raw stream with messageId as Nats-Msg-Id (events/publisher.ts); the identity resolver takes them from there. */
export function jetStreamSink(js: JetStreamClient, connected: () => boolean): EventSink {
  return { publish: (event: EventEnvelope) => publishEvent(js, event), ready: connected };
}

export async function startCollectService(options: CollectServiceOptions = {}): Promise<CollectServer> {
  const config = options.config ?? loadConfig();
  const log = options.log ?? createLogger('nudge-collect', config.LOG_LEVEL);
  // A NATS outage must not end the collector: it answers 503 meanwhile and trackers retry.
  const nc = await connect({ ...natsConnectOptions(config, 'nudge-collect'), maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  let connected = true;
  void watchConnection(nc, log, (now) => (connected = now), 'requests are answered 503');
  try {
    await ensureStreams(nc, { partitions: config.NUDGE_PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW, replicas: config.NUDGE_REPLICAS });
    const js = jetstream(nc, { timeout: options.publishTimeoutMs ?? 5000 });
    const server = await startCollectServer({
      port: config.NUDGE_COLLECT_PORT,
      host: config.NUDGE_COLLECT_HOST,
      writeKeys: config.NUDGE_WRITE_KEYS,
      sink: jetStreamSink(js, () => connected && !nc.isClosed()),
      log,
    });
    return {
      ...server,
      async stop() {
        await server.stop(); // answers the requests in flight first, so their publishes complete
        await nc.drain().catch(() => undefined);
        log.info('collector stopped');
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
