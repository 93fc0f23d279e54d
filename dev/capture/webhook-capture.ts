/**
 * A local webhook receiver that keeps every request in memory and answers 200 with an `x-request-id`.
 * The demo points journeys' webhook steps at it; connector tests use it as the network edge.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, readBody, sendJson } from '../../connectors/testing/fake-http-server';
import { MessageLog } from '../../connectors/testing/message-log';

export interface CapturedWebhook {
  method: string;
  path: string;
  /** Request headers, names in lower case. */
  headers: Record<string, string>;
  /** The raw body, exactly as signed by the sender. */
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** The x-request-id this capture answered with. */
  requestId: string;
  receivedAt: Date;
}

export interface WebhookResponsePlan {
  status: number;
  /** Sent as the Retry-After header (seconds). */
  retryAfterSeconds?: number;
  /** Wait this long before answering, to exercise client timeouts. */
  delayMs?: number;
  /** Record the request as received, then hang up without answering (the answer is lost). */
  hangUp?: boolean;
}

export interface WebhookCapture {
  url: string;
  port: number;
  /** Requests answered with 2xx or hung up on after reading; refused ones are not recorded as received. */
  requests(): CapturedWebhook[];
  waitFor(predicate?: (request: CapturedWebhook) => boolean, timeoutMs?: number): Promise<CapturedWebhook>;
  /** Answers the next request as planned instead of with 200. */
  respondNext(plan: WebhookResponsePlan): void;
  clear(): void;
  stop(): Promise<void>;
}

export async function startWebhookCapture(options: { port?: number } = {}): Promise<WebhookCapture> {
  const log = new MessageLog<CapturedWebhook>();
  const plans: WebhookResponsePlan[] = [];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const plan = plans.shift() ?? { status: 200 };
    if (plan.delayMs) await new Promise((resolve) => setTimeout(resolve, plan.delayMs));
    if (response.destroyed) return; // the client gave up while we were waiting
    const requestId = `req_${randomUUID()}`;
    if ((plan.status >= 200 && plan.status < 300) || plan.hangUp) {
      log.push({
        method: request.method ?? 'GET',
        path: request.url ?? '/',
        headers: flattenHeaders(request),
        body,
        json: parseJson(body),
        requestId,
        receivedAt: new Date(),
      });
    }
    if (plan.hangUp) return void request.socket.destroy();
    const headers: Record<string, string> = { 'x-request-id': requestId };
    if (plan.retryAfterSeconds !== undefined) headers['Retry-After'] = String(plan.retryAfterSeconds);
    sendJson(response, plan.status, plan.status < 300 ? { ok: true } : { error: `planned HTTP ${plan.status}` }, headers);
  }

  const server = await listenOnLoopback(handle, options.port);
  return {
    url: server.url,
    port: server.port,
    requests: () => log.all(),
    waitFor: (predicate, timeoutMs) => log.waitFor(predicate, timeoutMs),
    respondNext: (plan) => void plans.push(plan),
    clear: () => log.clear(),
    stop: () => server.stop(),
  };
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
