/**
 * The collector's HTTP service: Segment's HTTP Tracking API, so Segment's SDKs and every tracker that
 * speaks it send to nudge unchanged. Routes:
 *   POST /v1/track  /v1/identify  /v1/alias  /v1/page  /v1/screen  /v1/group   one message (32 KB)
 *   POST /v1/batch  (also /v1/import, Segment's alias)                        { batch: [...] } (500 KB)
 *   POST /v1/t /v1/i /v1/a /v1/p /v1/s /v1/g /v1/b   analytics.js's short names of the same routes
 *   OPTIONS on any of them                                                    CORS preflight (cors.ts)
 *   GET  /healthz
 * A request is answered 200 `{"success":true}` only after every message of it is stored in JetStream;
 * a refused request (401, 400, 413, 415) publishes nothing; a failed publish answers 503 so the tracker
 * retries, and the retry's messages that were stored already are dropped as duplicates by messageId.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { EventEnvelope } from '../events/envelope';
import { listenHttp, type ListeningHttpServer } from '../../platform/http-listen';
import { createLogger, type Logger } from '../../platform/logger';
import { HttpError, sendText } from '../inbound/http-io';
import { discardBody, readJsonBody } from './request-body';
import { collectBatch, collectCall, isSegmentType, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, type Collected } from './segment-messages';
import { BASIC_REALM, sourceOfWriteKey, writeKeyOfAuthorization } from './write-keys';
import { corsResponseHeaders, originRefusal, preflightAnswer } from './cors';
import type { WriteKeys } from '../../platform/write-key-entry';

/** Where accepted events go: JetStream in production (collect-service.ts), a recording fake in unit tests. */
export interface EventSink {
  /** Resolves once the event is stored (or was stored before: 'duplicate'); rejects when it may not be. */
  publish(event: EventEnvelope): Promise<'published' | 'duplicate'>;
  /** False when events cannot be stored now (for /healthz). */
  ready(): boolean;
}

export interface CollectServerOptions {
  /** 0 picks a free port (see `port` on the handle). */
  port: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** NUDGE_WRITE_KEYS: write key -> source name, or -> { source, allowedOrigins } for browser keys. */
  writeKeys: WriteKeys;
  sink: EventSink;
  log?: Logger;
  now?: () => Date;
}

export type CollectServer = ListeningHttpServer;

const BATCH_PATHS = new Set(['/v1/batch', '/v1/import', '/v1/b']);
/** analytics.js posts to the first letter of the type (`${apiHost}/${type.charAt(0)}`). */
const SHORT_TYPES: Readonly<Record<string, string>> = { t: 'track', i: 'identify', a: 'alias', p: 'page', s: 'screen', g: 'group' };

export async function startCollectServer(options: CollectServerOptions): Promise<CollectServer> {
  const log = options.log ?? createLogger('nudge-collect');
  const now = options.now ?? (() => new Date());
  const server = createServer((request, response) => {
    // Every answer to an allowed page carries its CORS headers, so the page reads refusals' reasons too.
    for (const [name, value] of Object.entries(corsResponseHeaders(request.headers.origin, options.writeKeys))) response.setHeader(name, value);
    route(options, log, now, request, response).catch((error: unknown) => fail(log, request, response, error));
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const host = options.host ?? '127.0.0.1';
  const listening = await listenHttp(server, options.port, host);
  const port = listening.port;
  log.info({ listen: `${host}:${port}`, sources: [...new Set(Object.values(options.writeKeys).map((entry) => (typeof entry === 'string' ? entry : entry.source)))] }, 'collector started');

  return listening;
}

async function route(options: CollectServerOptions, log: Logger, now: () => Date, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const path = new URL(request.url ?? '/', 'http://collect').pathname.replace(/\/+$/, '');

  if (path === '/healthz') {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, '/healthz accepts GET only', { Allow: 'GET, HEAD' });
    return options.sink.ready() ? sendText(response, 200, 'ok') : sendText(response, 503, 'NATS is not connected');
  }

  const name = path.startsWith('/v1/') ? path.slice(4) : '';
  const type = SHORT_TYPES[name] ?? name;
  const isBatch = BATCH_PATHS.has(path);
  if (!isBatch && !isSegmentType(type)) throw new HttpError(404, `no route for ${method} ${path || '/'}`);
  if (method === 'OPTIONS') {
    const answer = preflightAnswer(request.headers.origin, header(request, 'access-control-request-method'), options.writeKeys);
    if (answer.status !== 204) throw new HttpError(answer.status, answer.reason, answer.headers);
    response.writeHead(204, answer.headers);
    return void response.end();
  }
  if (method !== 'POST') throw new HttpError(405, `${path} accepts POST only (and OPTIONS, the CORS preflight)`, { Allow: 'POST, OPTIONS' });

  const limit = isBatch ? MAX_BATCH_BYTES : MAX_MESSAGE_BYTES;
  // Verify before anything: a Basic auth header is checked before the body is parsed. The body of a
  // refused request is still read (and dropped), so the tracker sees the 401, not a reset it would retry.
  const authorization = request.headers.authorization;
  let source: string | undefined;
  let allowedOrigins: readonly string[] = [];
  if (authorization !== undefined) {
    const check = sourceOfWriteKey(writeKeyOfAuthorization(authorization), options.writeKeys);
    if (!check.ok) {
      await discardBody(request, limit);
      throw unauthorized(check.reason);
    }
    source = check.source;
    allowedOrigins = check.allowedOrigins;
  }
  const body = await readJsonBody(request, limit);
  if (source === undefined) {
    // Browser libraries send no Authorization header: the write key is in the body.
    const writeKey = (body as { writeKey?: unknown } | null)?.writeKey;
    const check = sourceOfWriteKey(typeof writeKey === 'string' ? writeKey : undefined, options.writeKeys);
    if (!check.ok) throw unauthorized(check.reason);
    source = check.source;
    allowedOrigins = check.allowedOrigins;
  }
  // A page may send only with a key that names its origin (the preflight could not know the key).
  const refusal = originRefusal(request.headers.origin, source, allowedOrigins);
  if (refusal !== undefined) throw new HttpError(403, refusal);

  const arrival = { source, receivedAt: now().getTime() };
  const collected: Collected = isBatch ? collectBatch(body, arrival) : collectCall(body, type as Parameters<typeof collectCall>[1], arrival);
  if (!collected.ok) throw new HttpError(400, collected.reason);

  if (!options.sink.ready()) throw new HttpError(503, 'NATS is not connected: retry the request');
  let duplicates = 0;
  for (const [index, event] of collected.events.entries()) {
    try {
      if ((await options.sink.publish(event)) === 'duplicate') duplicates++;
    } catch (error) {
      log.warn({ source, index, messageId: event.messageId, err: (error as Error).message }, 'publish failed; answering 503 so the tracker retries');
      throw new HttpError(503, `could not store message ${index} (${event.messageId}) in NATS JetStream: ${(error as Error).message}; retry the request (messages already stored are dropped as duplicates)`);
    }
  }
  log.debug({ source, path, messages: collected.events.length, duplicates }, 'collected');
  response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end('{"success":true}');
}

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const unauthorized = (reason: string) => new HttpError(401, `${reason}: send a write key from NUDGE_WRITE_KEYS as the user name of HTTP Basic auth`, { 'WWW-Authenticate': `Basic realm="${BASIC_REALM}"` });

function fail(log: Logger, request: IncomingMessage, response: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) {
    log.debug({ method: request.method, path: request.url?.split('?')[0], status: error.status, reason: error.message }, 'request refused');
  } else {
    log.error({ method: request.method, err: (error as Error)?.message ?? String(error) }, 'collect request failed');
  }
  if (response.headersSent) return void response.destroy();
  const status = error instanceof HttpError ? error.status : 500;
  const reason = error instanceof HttpError ? error.message : 'internal error';
  // A refused request may leave its body unread; close the connection rather than parse leftovers.
  sendText(response, status, reason, { ...(error instanceof HttpError ? error.headers : {}), Connection: 'close' });
}
