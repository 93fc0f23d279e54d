/**
 * `nudge inbound`: connects to NATS, makes sure the events stream and the buckets exist, and serves
 * unsubscribe links and the webhooks of the configured SMS provider (SMS_PROVIDER, with its inbound
 * secrets from the environment) on NUDGE_INBOUND_HOST:NUDGE_INBOUND_PORT until stopped.
 */
import { connect } from '@nats-io/transport-node';
import { natsConnectOptions } from '../../platform/nats/connect-options';
import { SendLedger } from '../../workflows/activities/send-ledger';
import { loadConfig, type Config } from '../../platform/config';
import { createLogger, type Logger } from '../../platform/logger';
import { ensureStreams, openBucket, SENDS_BUCKET } from '../../platform/nats/setup';
import { createInbound } from '../../connectors/registry';
import { startInboundServer, type InboundServer } from './inbound-server';
import { PhoneDirectory } from './phone-directory';
import { InboundMetrics } from './inbound-metrics';
import { serveMetrics } from '../../platform/metrics';

export interface InboundServiceOptions {
  config?: Config;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

export async function startInboundService(options: InboundServiceOptions = {}): Promise<InboundServer> {
  const env = options.env ?? process.env;
  const config = options.config ?? loadConfig(env);
  const log = options.log ?? createLogger('nudge-inbound', config.LOG_LEVEL);
  // Before connecting: a bad provider setting fails the start, naming the variable.
  const smsWebhooks = await createInbound('sms', env);
  // Long-running: a NATS restart of any length is waited out (requests answer 5xx meanwhile).
  const metrics = new InboundMetrics({ processMetrics: true });
  const nc = await connect({ ...natsConnectOptions(config, 'nudge-inbound'), maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
  try {
    await ensureStreams(nc, { partitions: config.NUDGE_PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW, replicas: config.NUDGE_REPLICAS });
    const server = await startInboundServer({
      port: config.NUDGE_INBOUND_PORT,
      host: config.NUDGE_INBOUND_HOST,
      nc,
      partitions: config.NUDGE_PARTITIONS,
      secret: config.NUDGE_UNSUBSCRIBE_SECRET,
      trackingSecret: config.NUDGE_TRACKING_SECRET,
      ...(config.NUDGE_EMAIL_EVENTS_SECRET ? { emailEventsSecret: config.NUDGE_EMAIL_EVENTS_SECRET } : {}),
      metrics,
      publicBaseUrl: config.NUDGE_PUBLIC_URL,
      providerWebhooks: smsWebhooks ? [smsWebhooks] : [],
      phoneDirectory: await PhoneDirectory.open(nc, config.NUDGE_PHONE_REGION, { replicas: config.NUDGE_REPLICAS }),
      ledger: new SendLedger(await openBucket(nc, SENDS_BUCKET, { replicas: config.NUDGE_REPLICAS })),
      log,
    });
    const metricsServer = config.NUDGE_INBOUND_METRICS_PORT ? await serveMetrics(metrics.registry, config.NUDGE_INBOUND_METRICS_PORT) : null;
    return {
      ...server,
      async stop() {
        metricsServer?.close();
        await server.stop();
        await nc.drain().catch(() => undefined);
        log.info('inbound service stopped');
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
