/**
 * The inbound HTTP service: the one place the outside world calls nudge. Routes:
 *   GET  /u/:token        confirm page of a signed unsubscribe link (changes nothing)
 *   POST /u/:token        RFC 8058 one-click, or the confirm page's button -> `unsubscribed` event
 *   POST /twilio/inbound  Twilio inbound message; an opt-out keyword -> `unsubscribed` (sms)
 *   POST /twilio/status   Twilio status callback -> delivery status on the send's ledger record
 *   GET  /healthz
 * Every refusal is a 4xx with the reason in the body; unknown routes are 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger, type Logger } from '../../platform/logger';
import { HttpError, sendText } from './http-io';
import type { InboundContext } from './inbound-context';
import { handleTwilioInbound, handleTwilioStatus } from './twilio-routes';
import { handleUnsubscribeLink } from './unsubscribe-routes';

/** The routes' context, given as options: the JetStream client is made from `nc`; log and clock have defaults. */
export type InboundServerOptions = Omit<InboundContext, 'js' | 'log' | 'now'> & {
  /** 0 picks a free port (see `port` on the handle). */
  port: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  nc: NatsConnection;
  log?: Logger;
  now?: () => Date;
};

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
    publicBaseUrl: options.publicBaseUrl.replace(/\/+$/, ''),
    twilioAuthToken: options.twilioAuthToken,
    phoneDirectory: options.phoneDirectory,
    ledger: options.ledger,
    log,
    now: options.now ?? (() => new Date()),
  };
  if (!ctx.twilioAuthToken) log.warn('TWILIO_AUTH_TOKEN is not set: Twilio webhooks will be refused');

  const server = createServer((request, response) => {
    route(ctx, options.nc, request, response).catch((error: unknown) => fail(ctx.log, request, response, error));
  });
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, host, resolve));
  const port = (server.address() as AddressInfo).port;
  log.info({ listen: `${host}:${port}`, publicUrl: ctx.publicBaseUrl }, 'inbound service started');

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

async function route(ctx: InboundContext, nc: NatsConnection, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const path = new URL(request.url ?? '/', 'http://inbound').pathname;

  const token = UNSUBSCRIBE_PATH.exec(path)?.[1];
  if (token !== undefined) return handleUnsubscribeLink(ctx, request, response, token);

  if (path === '/twilio/inbound' || path === '/twilio/status') {
    if (method !== 'POST') throw new HttpError(405, `${path} accepts POST only`, { Allow: 'POST' });
    return path === '/twilio/inbound' ? handleTwilioInbound(ctx, request, response) : handleTwilioStatus(ctx, request, response);
  }

  if (path === '/healthz') {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, '/healthz accepts GET only', { Allow: 'GET, HEAD' });
    if (nc.isClosed()) return sendText(response, 503, 'NATS connection closed');
    return sendText(response, 200, 'ok');
  }

  throw new HttpError(404, `no route for ${method} ${path}`);
}

function fail(log: Logger, request: IncomingMessage, response: ServerResponse, error: unknown): void {
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
