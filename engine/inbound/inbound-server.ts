/**
 * The inbound HTTP service: the one place the outside world calls nudge. Routes:
 *   GET  /u/:token        confirm page of a signed unsubscribe link (changes nothing)
 *   POST /u/:token        RFC 8058 one-click, or the confirm page's button -> `unsubscribed` event
 *   POST <provider routes> the configured providers' webhooks (connectors/inbound.ts), e.g. Twilio's
 *                         /twilio/inbound (an opt-out keyword -> `unsubscribed` (sms)) and /twilio/status
 *                         (delivery status -> the send's ledger record); see provider-routes.ts
 *   GET  /c/:token        a tracked click: 302 to the link's target, `email_clicked` / `sms_clicked`
 *   GET  /o/:token        the open pixel: a 1×1 GIF, `email_opened`
 *   POST /email/events    the email provider's bounce and complaint reports (email-events.ts)
 *   GET  /healthz
 * Every refusal is a 4xx with the reason in the body; unknown routes are 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger, type Logger } from '../../platform/logger';
import type { InboundRoute, ProviderInbound, SmsNotice } from '../../connectors/inbound';
import { HttpError, sendText } from './http-io';
import type { InboundContext } from './inbound-context';
import { handleProviderRoute } from './provider-routes';
import { handleUnsubscribeLink } from './unsubscribe-routes';
import { handleOpenPixel, handleTrackedClick } from './engagement-routes';
import { EMAIL_EVENTS_PATH, handleEmailEvents } from './email-events';
import { InboundMetrics, type InboundRouteKind } from './inbound-metrics';

/** The routes' context, given as options: the JetStream client is made from `nc`; log and clock have defaults. */
export type InboundServerOptions = Omit<InboundContext, 'js' | 'log' | 'now' | 'metrics'> & {
  /** Default: counters of its own (not served). */
  metrics?: InboundMetrics;
  /** 0 picks a free port (see `port` on the handle). */
  port: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  nc: NatsConnection;
  /** The webhooks of the configured providers (connectors/registry.ts createInbound); none: no provider routes. */
  providerWebhooks?: readonly ProviderInbound<SmsNotice>[];
  log?: Logger;
  now?: () => Date;
};

interface ProviderRoute {
  provider: string;
  route: InboundRoute<SmsNotice>;
}

/** Path -> route; two providers claiming one path is a programming error, refused at start. */
function providerRoutesOf(webhooks: readonly ProviderInbound<SmsNotice>[]): Map<string, ProviderRoute> {
  const routes = new Map<string, ProviderRoute>();
  for (const { provider, routes: own } of webhooks) {
    for (const route of own) {
      const taken = routes.get(route.path);
      if (taken || route.path === '/healthz' || route.path === EMAIL_EVENTS_PATH || /^\/[uco]\//.test(route.path)) {
        throw new Error(`inbound route ${route.path} of provider "${provider}" is already served${taken ? ` for "${taken.provider}"` : ''}`);
      }
      routes.set(route.path, { provider, route });
    }
  }
  return routes;
}

export interface InboundServer {
  /** Where the server listens (not the public URL). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startInboundServer(options: InboundServerOptions): Promise<InboundServer> {
  const log = options.log ?? createLogger('nudge-inbound');
  const ctx: InboundContext = {
    js: jetstream(options.nc),
    partitions: options.partitions,
    secret: options.secret,
    ...(options.trackingSecret ? { trackingSecret: options.trackingSecret } : {}),
    ...(options.emailEventsSecret ? { emailEventsSecret: options.emailEventsSecret } : {}),
    metrics: options.metrics ?? new InboundMetrics(),
    publicBaseUrl: options.publicBaseUrl.replace(/\/+$/, ''),
    phoneDirectory: options.phoneDirectory,
    ledger: options.ledger,
    log,
    now: options.now ?? (() => new Date()),
  };
  const webhooks = options.providerWebhooks ?? [];
  const providerRoutes = providerRoutesOf(webhooks);
  for (const { provider, unconfigured } of webhooks) if (unconfigured) log.warn({ provider }, unconfigured);

  const server = createServer((request, response) => {
    route(ctx, options.nc, providerRoutes, request, response).catch((error: unknown) => fail(ctx, request, response, error));
  });
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, host, resolve));
  const port = (server.address() as AddressInfo).port;
  log.info({ listen: `${host}:${port}`, publicUrl: ctx.publicBaseUrl, providerRoutes: [...providerRoutes.keys()] }, 'inbound service started');

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

const UNSUBSCRIBE_PATH = /^\/u\/([^/]+)$/;
const CLICK_PATH = /^\/c\/([^/]+)$/;
const OPEN_PATH = /^\/o\/([^/]+)$/;

async function route(
  ctx: InboundContext,
  nc: NatsConnection,
  providerRoutes: ReadonlyMap<string, ProviderRoute>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET';
  const path = new URL(request.url ?? '/', 'http://inbound').pathname;

  const token = UNSUBSCRIBE_PATH.exec(path)?.[1];
  if (token !== undefined) return handleUnsubscribeLink(ctx, request, response, token);
  const click = CLICK_PATH.exec(path)?.[1];
  if (click !== undefined) return handleTrackedClick(ctx, request, response, click);
  const open = OPEN_PATH.exec(path)?.[1];
  if (open !== undefined) return handleOpenPixel(ctx, request, response, open);
  if (path === EMAIL_EVENTS_PATH) return handleEmailEvents(ctx, request, response);

  const providerRoute = providerRoutes.get(path);
  if (providerRoute) {
    if (method !== 'POST') throw new HttpError(405, `${path} accepts POST only`, { Allow: 'POST' });
    return handleProviderRoute(ctx, providerRoute.provider, providerRoute.route, request, response);
  }

  if (path === '/healthz') {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, '/healthz accepts GET only', { Allow: 'GET, HEAD' });
    if (nc.isClosed()) return sendText(response, 503, 'NATS connection closed');
    return sendText(response, 200, 'ok');
  }

  throw new HttpError(404, `no route for ${method} ${path}`);
}

/** Which kind of route a refused request was for (a fixed list: the metric's label). */
function routeKindOf(url: string | undefined): InboundRouteKind {
  const path = url?.split('?')[0] ?? '';
  if (path.startsWith('/c/')) return 'click';
  if (path.startsWith('/o/')) return 'open';
  if (path.startsWith('/u/')) return 'unsubscribe';
  if (path === EMAIL_EVENTS_PATH) return 'email_events';
  return /^\/[a-z0-9-]+\/(status|inbound)$/.test(path) ? 'provider' : 'other';
}

function fail(ctx: InboundContext, request: IncomingMessage, response: ServerResponse, error: unknown): void {
  const log = ctx.log;
  ctx.metrics.refusal(routeKindOf(request.url), error instanceof HttpError ? error.status : 500);
  if (error instanceof HttpError) {
    log.debug({ method: request.method, path: request.url?.split('?')[0], status: error.status, reason: error.message }, 'request refused');
  } else {
    log.error({ method: request.method, err: (error as Error)?.message ?? String(error) }, 'inbound request failed');
  }
  if (response.headersSent) return void response.destroy();
  const status = error instanceof HttpError ? error.status : 500;
  const reason = error instanceof HttpError ? error.message : 'internal error';
  // A refused request may leave its body unread; close the connection rather than parse leftovers.
  sendText(response, status, reason, { ...(error instanceof HttpError ? error.headers : {}), Connection: 'close' });
}
