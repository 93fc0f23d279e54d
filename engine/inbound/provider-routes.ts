/**
 * The webhooks of the configured providers (connectors/inbound.ts): the provider's route verifies and
 * reads the request into a notice; here a notice becomes what nudge does about it — a delivery report
 * is stored on the send's ledger record, an opt-out keyword ("STOP") becomes an SMS unsubscribe. This
 * file never reads a provider's format, so a second SMS provider needs nothing here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InboundRequestError, type DeliveryStatusNotice, type InboundRoute, type InboundSmsNotice, type SmsNotice } from '../../connectors/inbound';
import { normalisePhone } from '../../shared/phone';
import { HttpError, readBody, sendText } from './http-io';
import type { InboundContext } from './inbound-context';
import { optOutKeywordOf } from './sms-keywords';
import { publishUnsubscribe } from './unsubscribe-event';
import { publishEngagement } from './engagement-events';
import { verifyMessageRef } from './tracking-links';
import type { MessageRef } from '../../workflows/activities/link-tracking';

export async function handleProviderRoute(
  ctx: InboundContext,
  provider: string,
  route: InboundRoute<SmsNotice>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = request.url ?? '/';
  const body = await readBody(request);
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
  let notice: SmsNotice;
  try {
    notice = route.read({ method: request.method ?? 'POST', url, publicUrl: ctx.publicBaseUrl + url, headers, body, now: ctx.now() });
  } catch (error) {
    if (!(error instanceof InboundRequestError)) throw error;
    if (error.status === 403) ctx.log.warn({ provider, path: route.path, reason: error.message }, 'provider webhook with an invalid signature refused');
    throw new HttpError(error.status, error.message, error.headers);
  }
  const done = notice.kind === 'delivery_status' ? await recordDeliveryStatus(ctx, provider, notice) : await handleInboundSms(ctx, provider, notice);
  if (!route.reply) return sendText(response, 200, done);
  response.writeHead(200, { 'Content-Type': route.reply.contentType, 'Cache-Control': 'no-store' });
  response.end(route.reply.body);
}

const DELIVERY_ANSWERS = {
  updated: 'updated',
  ignored_older: 'ignored: a later or final status is already recorded',
  not_found: 'ignored: no send is recorded for this message id',
} as const;

/** The final reports that become events on the person; interim ones (queued, sent) only update the ledger. */
const DELIVERY_EVENTS: Readonly<Record<string, 'sms_delivered' | 'sms_failed'>> = { delivered: 'sms_delivered', undelivered: 'sms_failed', failed: 'sms_failed' };

async function recordDeliveryStatus(ctx: InboundContext, provider: string, notice: DeliveryStatusNotice): Promise<string> {
  const { providerMessageId, status, errorCode } = notice;
  // The ref is ours (signed when the message was sent): checked before anything is done with the report.
  const message = notice.deliveryRef !== undefined && ctx.trackingSecret ? verifyMessageRef(notice.deliveryRef, ctx.trackingSecret) : null;
  if (notice.deliveryRef !== undefined && ctx.trackingSecret && (!message || message.channel !== 'sms')) {
    ctx.log.warn({ provider, providerMessageId }, 'delivery report with a forged or edited message ref refused');
    throw new HttpError(403, 'the ref parameter is not a message ref nudge signed for an SMS');
  }
  const result = await ctx.ledger.setDeliveryStatus(providerMessageId, status, errorCode);
  const log = result === 'not_found' ? ctx.log.warn.bind(ctx.log) : ctx.log.debug.bind(ctx.log);
  log({ provider, providerMessageId, status, errorCode, result }, 'delivery status callback');
  const event = DELIVERY_EVENTS[status];
  if (message && event) {
    // A report the ledger refused as older than what it holds (a replayed `undelivered` after `delivered`)
    // is no event either. `not_found`: the report beat the send's own record (the ref says whose it is).
    if (result === 'ignored_older') ctx.metrics.engagement(event, 'ignored');
    else await publishDelivery(ctx, event, message, notice);
  }
  return DELIVERY_ANSWERS[result];
}

async function publishDelivery(ctx: InboundContext, event: 'sms_delivered' | 'sms_failed', message: MessageRef, notice: DeliveryStatusNotice): Promise<void> {
  const { providerMessageId, status, errorCode } = notice;
  const details = { status, providerMessageId, ...(errorCode ? { errorCode } : {}) };
  const outcome = await publishEngagement(ctx.js, { event, message, details, dedupeKey: `${providerMessageId}\n${status}` }, ctx.now()).catch((error: Error) => {
    ctx.metrics.engagement(event, 'failed');
    ctx.log.error({ err: error.message, userId: message.userId, providerMessageId }, 'could not publish a delivery event');
    throw new HttpError(503, 'the delivery report could not be recorded right now', { 'Retry-After': '30' });
  });
  ctx.metrics.engagement(event, outcome);
}

/** "+14155550100" -> "+1415***0100": enough to trace a log line, not enough to text someone. */
const maskPhone = (e164: string) => (e164.length > 8 ? `${e164.slice(0, 5)}***${e164.slice(-4)}` : '***');

async function handleInboundSms(ctx: InboundContext, provider: string, notice: InboundSmsNotice): Promise<string> {
  const keyword = optOutKeywordOf(notice.body);
  if (!keyword) return 'ignored: not an opt-out';
  // Providers report SMS senders in E.164; channel-prefixed senders ("whatsapp:+1…") are not SMS numbers.
  const phone = notice.from.startsWith('+') ? normalisePhone(notice.from, 'US') : null; // with the "+", the region is never read
  if (!phone) {
    ctx.log.warn({ provider, from: notice.from.slice(0, 32), keyword }, 'opt-out from a sender that is not a phone number; nothing recorded');
    return 'ignored: the sender is not a phone number';
  }
  const userId = await ctx.phoneDirectory.lookup(phone);
  if (!userId) {
    ctx.log.info({ provider, from: maskPhone(phone), keyword }, 'opt-out from a number no user has; nothing recorded');
    return 'ignored: no user has this number';
  }
  const unsubscribe = { userId, channel: 'sms', topic: 'all', source: 'sms-stop', dedupeKey: `sms-stop\n${userId}\n${phone}` } as const;
  const outcome = await publishUnsubscribe(ctx.js, unsubscribe, ctx.now()).catch((error: Error) => {
    ctx.log.error({ err: error.message, userId }, 'could not publish an SMS opt-out');
    throw new HttpError(503, 'the opt-out could not be recorded right now', { 'Retry-After': '30' });
  });
  ctx.log.info({ provider, userId, from: maskPhone(phone), keyword, outcome }, 'unsubscribed from SMS');
  return 'unsubscribed';
}
