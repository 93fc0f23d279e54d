/**
 * Which providers exist, and how each is built from the environment. Adding a provider means adding its
 * folder and one line here; nothing else in nudge names providers.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Channel, Connector, ConnectorSet } from './channels';
import type { Env } from './config';
import { ConnectorConfigError } from './errors';
import type { InboundNotices, ProviderInbound } from './inbound';

/** What a provider may need besides its own settings. */
export interface ConnectorDeps {
  nc: NatsConnection;
}

export type ConnectorFactory<C extends Connector> = (env: Env, deps: ConnectorDeps) => Promise<C>;

/** The routes of a provider's webhooks, built from the environment (its inbound secrets). */
export type InboundFactory<Notice> = (env: Env) => Promise<ProviderInbound<Notice>>;

/** Everything nudge needs of one provider: how to build its connector and, if it has webhooks, their routes. */
export interface ProviderEntry<K extends Channel> {
  connector: ConnectorFactory<ConnectorSet[K]>;
  inbound?: InboundFactory<InboundNotices[K]>;
}

type ProviderTable = { [K in Channel]: Record<string, ProviderEntry<K>> };

/**
 * One line per provider, pointing into the provider's folder (its connector and, if it has webhooks, its
 * inbound routes). Imports are lazy so a worker loads only the SDKs of the providers it uses.
 */
export const providers: ProviderTable = {
  email: {
    smtp: { connector: async (env) => (await import('./email/smtp/smtp.connector')).SmtpEmailConnector.fromEnv(env) },
  },
  sms: {
    twilio: { connector: async (env) => (await import('./sms/twilio/twilio.connector')).TwilioSmsConnector.fromEnv(env), inbound: async (env) => (await import('./sms/twilio/twilio.inbound')).twilioInboundFromEnv(env) },
    http: { connector: async (env) => (await import('./sms/http/http-sms.connector')).HttpSmsConnector.fromEnv(env), inbound: async (env) => (await import('./sms/http/http-sms.inbound')).httpSmsInboundFromEnv(env) },
  },
  webhook: {
    http: { connector: async (env) => (await import('./webhook/http/http-webhook.connector')).HttpWebhookConnector.fromEnv(env) },
  },
  coupon: {
    pool: { connector: async (env, deps) => (await import('./coupon/pool/coupon-pool.connector')).PoolCouponConnector.fromEnv(env, deps) },
  },
};

/** The environment variable that picks each channel's provider, and the provider used when it is unset. */
export const providerSelection: { [K in Channel]: { variable: string; defaultProvider: string } } = {
  email: { variable: 'EMAIL_PROVIDER', defaultProvider: 'smtp' },
  sms: { variable: 'SMS_PROVIDER', defaultProvider: 'twilio' },
  webhook: { variable: 'WEBHOOK_PROVIDER', defaultProvider: 'http' },
  coupon: { variable: 'COUPON_PROVIDER', defaultProvider: 'pool' },
};

/** The provider `channel` uses, chosen by its *_PROVIDER variable; an unknown name is a ConnectorConfigError. */
export function selectedProvider<K extends Channel>(channel: K, env: Env): { name: string; entry: ProviderEntry<K> } {
  const { variable, defaultProvider } = providerSelection[channel];
  const name = env[variable]?.trim() || defaultProvider;
  const table: Record<string, ProviderEntry<K>> = providers[channel];
  const entry = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!entry) {
    throw new ConnectorConfigError(channel, `${variable}="${name}" is not a known provider (known: ${Object.keys(table).join(', ')})`);
  }
  return { name, entry };
}

/** Builds one connector for `channel`, chosen by its *_PROVIDER variable. */
export async function createConnector<K extends Channel>(channel: K, env: Env, deps: ConnectorDeps): Promise<ConnectorSet[K]> {
  return selectedProvider(channel, env).entry.connector(env, deps);
}

/**
 * The webhook routes of the provider `channel` uses, or undefined when that provider has none. The
 * inbound service serves them; it does not know which provider it is.
 */
export async function createInbound<K extends Channel>(channel: K, env: Env): Promise<ProviderInbound<InboundNotices[K]> | undefined> {
  return selectedProvider(channel, env).entry.inbound?.(env);
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
