/**
 * Twilio's webhooks: inbound messages (`POST /twilio/inbound`, an opt-out keyword becomes an SMS
 * unsubscribe) and message status callbacks (`POST /twilio/status`, stored on the send's ledger record).
 * Both are accepted only with a valid X-Twilio-Signature, which Twilio computes over the public URL it
 * called (NUDGE_PUBLIC_URL + path + query) and the form fields, keyed with the account's auth token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import twilio from 'twilio';
import { HttpError, readForm, sendEmptyTwiml, sendText } from './http-io';
import type { InboundContext } from './inbound-context';
import { normalisePhone } from '../../shared/phone';
import { optOutKeywordOf } from './sms-keywords';
import { publishUnsubscribe } from './unsubscribe-event';

async function verifiedTwilioForm(ctx: InboundContext, request: IncomingMessage): Promise<Record<string, string>> {
  if (!ctx.twilioAuthToken) throw new HttpError(503, 'Twilio webhooks are not configured: set TWILIO_AUTH_TOKEN');
  const signature = request.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || !signature) throw new HttpError(403, 'missing X-Twilio-Signature header');
  const form = await readForm(request);
  const url = ctx.publicBaseUrl + (request.url ?? '/');
  if (!twilio.validateRequest(ctx.twilioAuthToken, signature, url, form)) {
    ctx.log.warn({ url }, 'Twilio webhook with an invalid signature refused');
    throw new HttpError(403, `X-Twilio-Signature does not match ${url} and its fields (check TWILIO_AUTH_TOKEN and NUDGE_PUBLIC_URL)`);
  }
  return form;
}

function field(form: Record<string, string>, name: string, shape: RegExp): string {
  const value = form[name];
  if (value === undefined || value === '') throw new HttpError(400, `missing form field ${name}`);
  if (!shape.test(value)) throw new HttpError(400, `form field ${name} is malformed: ${JSON.stringify(value.slice(0, 64))}`);
  return value;
}

/** "+14155550100" -> "+1415***0100": enough to trace a log line, not enough to text someone. */
const maskPhone = (e164: string) => (e164.length > 8 ? `${e164.slice(0, 5)}***${e164.slice(-4)}` : '***');

export async function handleTwilioInbound(ctx: InboundContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const form = await verifiedTwilioForm(ctx, request);
  const from = field(form, 'From', /^.{1,64}$/);
  const keyword = optOutKeywordOf(form.Body ?? '');
  if (!keyword) return sendEmptyTwiml(response);

  // Twilio sends E.164; channel-prefixed senders ("whatsapp:+1…") are not SMS numbers.
  const phone = from.startsWith('+') ? normalisePhone(from, 'US') : null; // with the "+", the region is never read
  if (!phone) {
    ctx.log.warn({ from: from.slice(0, 32), keyword }, 'opt-out from a sender that is not a phone number; nothing recorded');
    return sendEmptyTwiml(response);
  }
  const userId = await ctx.phoneDirectory.lookup(phone);
  if (!userId) {
    ctx.log.info({ from: maskPhone(phone), keyword }, 'opt-out from a number no user has; nothing recorded');
    return sendEmptyTwiml(response);
  }
  const unsubscribe = { userId, channel: 'sms', topic: 'all', source: 'sms-stop', dedupeKey: `sms-stop\n${userId}\n${phone}` } as const;
  const outcome = await publishUnsubscribe(ctx.js, unsubscribe, ctx.now()).catch((error: Error) => {
    ctx.log.error({ err: error.message, userId }, 'could not publish an SMS opt-out');
    throw new HttpError(503, 'the opt-out could not be recorded right now', { 'Retry-After': '30' });
  });
  ctx.log.info({ userId, from: maskPhone(phone), keyword, outcome }, 'unsubscribed from SMS');
  sendEmptyTwiml(response);
}

const DELIVERY_ANSWERS = {
  updated: 'updated',
  ignored_older: 'ignored: a later status is already recorded',
  not_found: 'ignored: no send is recorded for this MessageSid',
} as const;

export async function handleTwilioStatus(ctx: InboundContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const form = await verifiedTwilioForm(ctx, request);
  const messageSid = field(form, 'MessageSid', /^[A-Za-z0-9]{2,64}$/);
  const status = field(form, 'MessageStatus', /^[a-z_-]{1,32}$/);
  const errorCode = form.ErrorCode ? field(form, 'ErrorCode', /^\d{1,10}$/) : undefined;
  const result = await ctx.ledger.setDeliveryStatus(messageSid, status, errorCode);
  const log = result === 'not_found' ? ctx.log.warn.bind(ctx.log) : ctx.log.debug.bind(ctx.log);
  log({ messageSid, status, errorCode, result }, 'Twilio status callback');
  sendText(response, 200, DELIVERY_ANSWERS[result]);
}
