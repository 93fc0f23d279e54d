/**
 * A local stand-in for Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`). It answers
 * like Twilio does — 201 with a message resource, Twilio-style error JSON otherwise — and keeps every
 * accepted message in memory. The demo points TWILIO_API_BASE at it; connector tests use it as the
 * network edge. It lives beside the connector because it is part of the provider (dev/ imports it).
 *
 * Like Twilio, a message sent with a StatusCallback gets its delivery reported there: after the 201,
 * the fake POSTs `sent`, then `delivered` (or what `failDelivery` asked for), form-encoded and signed
 * with X-Twilio-Signature keyed by the request's auth token, exactly as Twilio signs its webhooks.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, readBody, sendJson } from '../../testing/fake-http-server';
import { MessageLog } from '../../testing/message-log';

export interface CapturedSms {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  /** The HTTP Basic credentials the request carried. */
  auth: { username: string; password: string };
  /** An Idempotency-Key header, had a client sent one (Twilio's Messages API takes none). */
  idempotencyKey?: string;
  /** The StatusCallback URL the message was sent with. */
  statusCallback?: string;
  receivedAt: Date;
}

/** A status callback the fake posted, and how the receiver answered (status 0: it could not be reached). */
export interface PostedStatusCallback {
  sid: string;
  url: string;
  status: string;
  answer: number;
}

export interface TwilioFailure {
  status: number;
  /** Twilio error code, e.g. 21211 (invalid To), 20429 (too many requests). */
  code?: number;
  message?: string;
  /** Sent as the Retry-After header (seconds). */
  retryAfterSeconds?: number;
}

export interface TwilioFake {
  url: string;
  port: number;
  messages(): CapturedSms[];
  waitFor(predicate?: (message: CapturedSms) => boolean, timeoutMs?: number): Promise<CapturedSms>;
  /** Answers the next Messages request with a Twilio-style error instead of accepting it. */
  failNext(status: number, code?: number, message?: string, options?: { retryAfterSeconds?: number }): void;
  /** Accepts the next message, then hangs up without answering: Twilio holds it, the answer is lost. */
  dropNextAnswer(): void;
  /** The next message's delivery is reported as `status` (undelivered, failed) with Twilio's error code, instead of delivered. */
  failDelivery(status: 'undelivered' | 'failed', errorCode: number): void;
  /** The status callbacks posted so far; `waitForCallback` waits for one. */
  statusCallbacks(): PostedStatusCallback[];
  waitForCallback(predicate?: (callback: PostedStatusCallback) => boolean, timeoutMs?: number): Promise<PostedStatusCallback>;
  clear(): void;
  stop(): Promise<void>;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Messages\.json$/;
const E164 = /^\+[1-9]\d{6,14}$/;

export async function startTwilioFake(options: { port?: number } = {}): Promise<TwilioFake> {
  const log = new MessageLog<CapturedSms>();
  const failures: TwilioFailure[] = [];
  const deliveryFailures: { status: 'undelivered' | 'failed'; errorCode: number }[] = [];
  const callbacks = new MessageLog<PostedStatusCallback>();
  let dropAnswers = 0;

  /** Twilio's callback form (the fields nudge reads and a few it does not), signed over URL + fields. */
  async function postStatus(message: CapturedSms, url: string, status: string, errorCode?: number): Promise<void> {
    const form: Record<string, string> = { AccountSid: message.accountSid, MessageSid: message.sid, SmsSid: message.sid, MessageStatus: status, SmsStatus: status, To: message.to, From: message.from, ApiVersion: '2010-04-01', ...(errorCode !== undefined ? { ErrorCode: String(errorCode) } : {}) };
    const signature = twilio.getExpectedTwilioSignature(message.auth.password, url, form);
    const answer = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature }, body: new URLSearchParams(form).toString(), signal: AbortSignal.timeout(5000) })
      .then(async (response) => (await response.arrayBuffer(), response.status))
      .catch(() => 0); // Twilio logs an unreachable callback and moves on; so does the fake
    callbacks.push({ sid: message.sid, url, status, answer });
  }

  async function reportDelivery(message: CapturedSms, url: string): Promise<void> {
    const failure = deliveryFailures.shift();
    await postStatus(message, url, 'sent');
    await postStatus(message, url, failure?.status ?? 'delivered', failure?.errorCode);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const match = request.method === 'POST' ? MESSAGES_PATH.exec(path) : null;
    if (!match) return twilioError(response, { status: 404, code: 20404, message: `The requested resource ${path} was not found` });
    const accountSid = match[1]!;
    const auth = basicAuth(request);
    if (!auth || auth.username !== accountSid) {
      return twilioError(response, { status: 401, code: 20003, message: 'Authentication Error - invalid username' });
    }
    const form = new URLSearchParams(await readBody(request));
    const failure = failures.shift();
    if (failure) return twilioError(response, failure);

    const to = form.get('To') ?? '';
    const from = form.get('From') ?? '';
    const body = form.get('Body') ?? '';
    if (!E164.test(to)) return twilioError(response, { status: 400, code: 21211, message: `The 'To' number ${to} is not a valid phone number.` });
    if (!from) return twilioError(response, { status: 400, code: 21603, message: "A 'From' phone number is required." });
    if (!body) return twilioError(response, { status: 400, code: 21602, message: 'Message body is required.' });

    const idempotencyKey = request.headers['idempotency-key'];
    const message: CapturedSms = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      accountSid,
      to,
      from,
      body,
      auth,
      ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}),
      ...(form.get('StatusCallback') ? { statusCallback: form.get('StatusCallback')! } : {}),
      receivedAt: new Date(),
    };
    log.push(message);
    if (dropAnswers > 0) {
      dropAnswers--;
      return void request.socket.destroy();
    }
    sendJson(response, 201, messageResource(message));
    // After the answer, as Twilio does: the sender has recorded the SID by the time reports arrive (mostly).
    if (message.statusCallback) response.once('finish', () => void reportDelivery(message, message.statusCallback!));
  }

  const server = await listenOnLoopback(handle, options.port);
  return {
    url: server.url,
    port: server.port,
    messages: () => log.all(),
    waitFor: (predicate, timeoutMs) => log.waitFor(predicate, timeoutMs),
    failNext(status, code, message, extra = {}) {
      failures.push({ status, code, message, ...extra });
    },
    dropNextAnswer: () => void dropAnswers++,
    failDelivery: (status, errorCode) => void deliveryFailures.push({ status, errorCode }),
    statusCallbacks: () => callbacks.all(),
    waitForCallback: (predicate, timeoutMs) => callbacks.waitFor(predicate, timeoutMs),
    clear: () => {
      log.clear();
      callbacks.clear();
    },
    stop: () => server.stop(),
  };
}

function basicAuth(request: IncomingMessage): { username: string; password: string } | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function twilioError(response: ServerResponse, failure: TwilioFailure): void {
  const code = failure.code ?? (failure.status === 429 ? 20429 : failure.status >= 500 ? 20500 : 21000 + failure.status);
  const headers: Record<string, string> = failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {};
  sendJson(
    response,
    failure.status,
    { code, message: failure.message ?? `fake Twilio error ${code}`, more_info: `https://www.twilio.com/docs/errors/${code}`, status: failure.status },
    headers,
  );
}

/** The fields of Twilio's Message resource that clients commonly read. */
function messageResource(message: CapturedSms): Record<string, unknown> {
  const created = message.receivedAt.toUTCString().replace('GMT', '+0000');
  const uri = `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}.json`;
  return {
    sid: message.sid,
    account_sid: message.accountSid,
    api_version: '2010-04-01',
    to: message.to,
    from: message.from,
    body: message.body,
    status: 'queued',
    direction: 'outbound-api',
    num_segments: '1',
    num_media: '0',
    price: null,
    price_unit: 'USD',
    error_code: null,
    error_message: null,
    messaging_service_sid: null,
    date_created: created,
    date_updated: created,
    date_sent: null,
    uri,
    subresource_uris: { media: uri.replace('.json', '/Media.json') },
  };
}
