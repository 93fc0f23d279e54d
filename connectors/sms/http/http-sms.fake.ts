/**
 * A local stand-in for the HTTP SMS API (contract in http-sms.config.ts): `POST /v1/messages` with a
 * bearer token answers 201 `{"id": …}` and keeps the message in memory; errors come as
 * `{"error": {"message": …}}`. It can report a message's delivery to a status URL, signed like the real
 * API. Connector and route tests use it as the network edge; `nudge demo`-style setups can point
 * SMS_HTTP_URL at it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, readBody, sendJson } from '../../testing/fake-http-server';
import { MessageLog } from '../../testing/message-log';
import { signedWebhookHeaders } from './http-sms.inbound';

export interface CapturedHttpSms {
  id: string;
  to: string;
  from: string;
  body: string;
  /** The Idempotency-Key header the request carried. */
  idempotencyKey?: string;
  /** The `reference` the send carried; a delivery report echoes it. */
  reference?: string;
  receivedAt: Date;
}

export interface HttpSmsFake {
  /** The messages endpoint: SMS_HTTP_URL. */
  apiUrl: string;
  port: number;
  messages(): CapturedHttpSms[];
  waitFor(predicate?: (message: CapturedHttpSms) => boolean, timeoutMs?: number): Promise<CapturedHttpSms>;
  /** Answers the next send with this status and error message (and Retry-After, in seconds). */
  failNext(status: number, message?: string, options?: { retryAfterSeconds?: number }): void;
  /** Accepts the next message, then hangs up without answering. */
  dropNextAnswer(): void;
  /** POSTs a signed delivery report for message `id` to `statusUrl`, as the API does. */
  reportStatus(statusUrl: string, report: { id: string; status: string; errorCode?: string; reference?: string }): Promise<Response>;
  clear(): void;
  stop(): Promise<void>;
}

export interface HttpSmsFakeOptions {
  /** The bearer token it accepts. */
  token: string;
  /** Signs delivery reports (SMS_HTTP_WEBHOOK_SECRET). */
  webhookSecret?: string;
  port?: number;
}

const MESSAGES_PATH = '/v1/messages';
const E164 = /^\+[1-9]\d{6,14}$/;

export async function startHttpSmsFake(options: HttpSmsFakeOptions): Promise<HttpSmsFake> {
  const log = new MessageLog<CapturedHttpSms>();
  const failures: { status: number; message?: string; retryAfterSeconds?: number }[] = [];
  let dropAnswers = 0;
  const refuse = (response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) =>
    sendJson(response, status, { error: { message } }, headers);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    if (request.method !== 'POST' || path !== MESSAGES_PATH) return refuse(response, 404, `no route for ${request.method} ${path}`);
    if (request.headers.authorization !== `Bearer ${options.token}`) return refuse(response, 401, 'invalid bearer token');
    const text = await readBody(request);
    const failure = failures.shift();
    if (failure) {
      const headers: Record<string, string> = failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {};
      return refuse(response, failure.status, failure.message ?? `fake SMS API error ${failure.status}`, headers);
    }
    const json = parseJson(text) as { to?: unknown; from?: unknown; body?: unknown; reference?: unknown } | undefined;
    const { to, from, body, reference } = json ?? {};
    if (typeof to !== 'string' || !E164.test(to)) return refuse(response, 422, `"to" must be an E.164 number, got ${JSON.stringify(to)}`);
    if (typeof from !== 'string' || from === '') return refuse(response, 422, '"from" is required');
    if (typeof body !== 'string' || body === '') return refuse(response, 422, '"body" is required');

    const idempotencyKey = request.headers['idempotency-key'];
    const message: CapturedHttpSms = {
      id: `msg_${randomBytes(12).toString('hex')}`,
      to,
      from,
      body,
      ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}),
      ...(typeof reference === 'string' ? { reference } : {}),
      receivedAt: new Date(),
    };
    log.push(message);
    if (dropAnswers > 0) {
      dropAnswers--;
      return void request.socket.destroy();
    }
    sendJson(response, 201, { id: message.id, status: 'queued' });
  }

  const server = await listenOnLoopback(handle, options.port);
  return {
    apiUrl: `${server.url}${MESSAGES_PATH}`,
    port: server.port,
    messages: () => log.all(),
    waitFor: (predicate, timeoutMs) => log.waitFor(predicate, timeoutMs),
    failNext: (status, message, extra = {}) => void failures.push({ status, message, ...extra }),
    dropNextAnswer: () => void dropAnswers++,
    async reportStatus(statusUrl, report) {
      if (!options.webhookSecret) throw new Error('the fake SMS API needs a webhookSecret to sign delivery reports');
      const body = JSON.stringify(report);
      return fetch(statusUrl, { method: 'POST', headers: signedWebhookHeaders(options.webhookSecret, body), body });
    },
    clear: () => log.clear(),
    stop: () => server.stop(),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
