/**
 * Which providers exist, and how each is built from the environment. Adding a provider means adding its
 * folder and one line here; nothing else in nudge names providers.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Channel, Connector, ConnectorSet } from './channels';
import type { Env } from './config';
import { ConnectorConfigError } from './errors';

/** What a provider may need besides its own settings. */
export interface ConnectorDeps {
  nc: NatsConnection;
}

export type ConnectorFactory<C extends Connector> = (env: Env, deps: ConnectorDeps) => Promise<C>;

type ProviderTable = { [K in Channel]: Record<string, ConnectorFactory<ConnectorSet[K]>> };

/**
 * One line per provider. Imports are lazy so a worker loads only the SDKs of the providers it uses.
 */
export const providers: ProviderTable = {
  email: {
    smtp: async (env) => (await import('./email/smtp/smtp.connector')).SmtpEmailConnector.fromEnv(env),
  },
  sms: {
    twilio: async (env) => (await import('./sms/twilio/twilio.connector')).TwilioSmsConnector.fromEnv(env),
  },
  webhook: {
    http: async (env) => (await import('./webhook/http/http-webhook.connector')).HttpWebhookConnector.fromEnv(env),
  },
  coupon: {
    pool: async (env, deps) => (await import('./coupon/pool/coupon-pool.connector')).PoolCouponConnector.fromEnv(env, deps),
  },
};

/** The environment variable that picks each channel's provider, and the provider used when it is unset. */
export const providerSelection: { [K in Channel]: { variable: string; defaultProvider: string } } = {
  email: { variable: 'EMAIL_PROVIDER', defaultProvider: 'smtp' },
  sms: { variable: 'SMS_PROVIDER', defaultProvider: 'twilio' },
  webhook: { variable: 'WEBHOOK_PROVIDER', defaultProvider: 'http' },
  coupon: { variable: 'COUPON_PROVIDER', defaultProvider: 'pool' },
};

/** Builds one connector for `channel`, chosen by its *_PROVIDER variable. */
export async function createConnector<K extends Channel>(channel: K, env: Env, deps: ConnectorDeps): Promise<ConnectorSet[K]> {
  const { variable, defaultProvider } = providerSelection[channel];
  const name = env[variable]?.trim() || defaultProvider;
  const table: Record<string, ConnectorFactory<ConnectorSet[K]>> = providers[channel];
  const factory = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!factory) {
    throw new ConnectorConfigError(channel, `${variable}="${name}" is not a known provider (known: ${Object.keys(table).join(', ')})`);
  }
  return factory(env, deps);
}

/**
 * Builds the connector of every channel. Configuration is validated here, so a worker with a bad
 * setting fails at startup; if one connector fails, the ones already built are closed again.
 */
export async function createConnectorsFromEnv(env: Env, deps: ConnectorDeps): Promise<ConnectorSet> {
  const built: Connector[] = [];
  const build = async <K extends Channel>(channel: K): Promise<ConnectorSet[K]> => {
    const connector = await createConnector(channel, env, deps);
    built.push(connector);
    return connector;
  };
  try {
    return { email: await build('email'), sms: await build('sms'), webhook: await build('webhook'), coupon: await build('coupon') };
  } catch (error) {
    await closeConnectors(built);
    throw error;
  }
}

/** Closes every connector that holds resources (SMTP connections and the like). */
export async function closeConnectors(connectors: ConnectorSet | Connector[]): Promise<void> {
  const list = Array.isArray(connectors) ? connectors : Object.values(connectors);
  await Promise.allSettled(list.map((connector) => connector.close?.()));
}
