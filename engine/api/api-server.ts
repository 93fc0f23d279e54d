/**
 * The HTTP API for CRM and support tools (node:http, no framework): bearer tokens with roles, the
 * routes of api-routes.ts, GET /openapi.json and /healthz. Order per request: route → token (401) →
 * role (403: an operator action is audited as denied and nothing else happens) → body → handler →
 * audit record (operator actions, before the answer) → answer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ApiTokenEntry } from '../../platform/api-token-entry';
import { listenHttp, type ListeningHttpServer } from '../../platform/http-listen';
import { createLogger, type Logger } from '../../platform/logger';
import { HttpError } from '../inbound/http-io';
import { discardBody, readJsonBody } from '../collect/request-body';
import { matchRoute, type ApiOperations, type ApiRoute, type RouteOutput } from './api-routes';
import { authenticate, mayPerform } from './api-tokens';
import type { AuditLog } from './audit-log';
import { openApiDocument } from './openapi';

export interface ApiServerOptions {
  port: number;
  host?: string;
  tokens: readonly ApiTokenEntry[];
  ops: ApiOperations;
  audit: AuditLog;
  /** False while NATS is disconnected (for /healthz). */
  ready: () => boolean;
  log?: Logger;
  now?: () => Date;
}

export type ApiServer = ListeningHttpServer;

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.log ?? createLogger('nudge-api');
  const document = JSON.stringify(openApiDocument());
  const server = createServer((request, response) => {
    handle(options, log, document, request, response).catch((error: unknown) => fail(log, request, response, error));
  });
  server.requestTimeout = 120_000; // an erase waits up to a minute for Temporal to delete closed journeys
  server.headersTimeout = 10_000;
  const host = options.host ?? '127.0.0.1';
  const listening = await listenHttp(server, options.port, host);
  const port = listening.port;
  log.info({ listen: `${host}:${port}`, tokens: options.tokens.map((t) => `${t.name} (${t.role})`) }, 'API started');
  return listening;
}

async function handle(options: ApiServerOptions, log: Logger, document: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const url = new URL(request.url ?? '/', 'http://api');
  if (url.pathname === '/openapi.json' || url.pathname === '/healthz') {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${url.pathname} accepts GET only`, { Allow: 'GET, HEAD' });
    if (url.pathname === '/openapi.json') return sendJson(response, 200, document);
    return options.ready() ? sendJson(response, 200, '{"ok":true}') : sendJson(response, 503, JSON.stringify({ error: 'NATS is not connected' }));
  }
  const match = matchRoute(method, url.pathname);
  if (!match.route) {
    if (match.allowed.length) throw new HttpError(405, `${url.pathname} accepts ${match.allowed.join(', ')} only`, { Allow: match.allowed.join(', ') });
    throw new HttpError(404, `no route for ${method} ${url.pathname} (see /openapi.json)`);
  }
  const { route, params } = match;

  // Verify before anything: a refused request's body is read and dropped (bounded), never parsed.
  const now = options.now?.() ?? new Date();
  const check = authenticate(request.headers.authorization, options.tokens, now);
  if (!check.ok) {
    await discardBody(request, route.bodyLimit ?? 0);
    throw new HttpError(401, check.reason, { 'WWW-Authenticate': 'Bearer realm="nudge api"' });
  }
  const token = check.token;
  const subject = route.path.includes(':id') ? params.id! : null;
  const audited = route.action !== 'read';
  if (!mayPerform(token.role, route.action)) {
    await discardBody(request, route.bodyLimit ?? 0);
    if (audited) await options.audit.write({ actor: token.name, role: token.role, action: route.action as Exclude<typeof route.action, 'read'>, subject, personId: null, result: 'denied', detail: `role ${token.role} may not ${route.action}` });
    throw new HttpError(403, `token "${token.name}" has role ${token.role}; ${route.operationId} needs ${route.role}`);
  }
  const body = route.body ? await readJsonBody(request, route.bodyLimit ?? 0) : undefined;
  let output: RouteOutput;
  try {
    output = await route.handle({ params, query: url.searchParams, body, token, ops: options.ops, now });
  } catch (error) {
    if (audited) await auditFailure(options, route, token, subject, error);
    throw error;
  }
  if (audited) {
    await options.audit.write({ actor: token.name, role: token.role, action: route.action as Exclude<typeof route.action, 'read'>, subject, personId: output.personId ?? null, result: 'ok', ...(output.detail ? { detail: output.detail } : {}) });
  }
  log.info({ actor: token.name, operation: route.operationId }, 'API request');
  sendJson(response, 200, JSON.stringify(output.body));
}

async function auditFailure(options: ApiServerOptions, route: ApiRoute, token: ApiTokenEntry, subject: string | null, error: unknown): Promise<void> {
  const reason = error instanceof HttpError ? `${error.status}: ${error.message}` : (error as Error)?.message ?? String(error);
  await options.audit.write({ actor: token.name, role: token.role, action: route.action as Exclude<typeof route.action, 'read'>, subject, personId: null, result: 'failed', detail: reason.slice(0, 1000) });
}

function sendJson(response: ServerResponse, status: number, json: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  response.end(json);
}

function fail(log: Logger, request: IncomingMessage, response: ServerResponse, error: unknown): void {
  const known = error instanceof HttpError;
  if (known) log.debug({ method: request.method, path: request.url?.split('?')[0], status: error.status, reason: error.message }, 'request refused');
  else log.error({ method: request.method, path: request.url?.split('?')[0], err: (error as Error)?.message ?? String(error) }, 'API request failed');
  if (response.headersSent) return void response.destroy();
  // Not an HttpError: NATS or Temporal failed (or refused) underneath; the reason helps the operator, and the call may be retried.
  const status = known ? error.status : 502;
  const reason = (error as Error)?.message ?? String(error);
  sendJson(response, status, JSON.stringify({ error: reason }), { ...(known ? error.headers : {}), Connection: 'close' });
}
