/**
 * `POST /email/events`: bounce and complaint reports from the email provider (or a small adapter in
 * front of it), in one generic JSON shape:
 *
 *   X-Nudge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(NUDGE_EMAIL_EVENTS_SECRET, "<t>.<raw body>")>
 *   { "events": [ { "type": "bounce", "ref": "<the X-Nudge-Ref header of the email>", "bounceType": "hard",
 *                   "reason": "550 5.1.1 user unknown", "id": "<provider event id>" },
 *                 { "type": "complaint", "ref": "…" } ] }
 *
 * Each report becomes `email_bounced` / `email_complained` for the message's person; a hard bounce or a
 * complaint also unsubscribes the person from all email (`unsubscribed`, source hard_bounce / complaint),
 * the consent every marketing send already checks. A signature older than 5 minutes is refused (replays).
 * Reports with a bad ref are answered per item and do not stop the others.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { SIGNATURE_PREFIX, signPayload, verifyPayloadSignature } from '../../shared/payload-signature';
import { HttpError, readBody } from './http-io';
import type { InboundContext } from './inbound-context';
import { publishEngagement } from './engagement-events';
import { verifyMessageRef } from './tracking-links';
import { publishUnsubscribe } from './unsubscribe-event';

export const EMAIL_EVENTS_PATH = '/email/events';
export const EMAIL_EVENTS_SIGNATURE_HEADER = 'X-Nudge-Signature';
/** How old a signature may be: enough for clock skew and a provider's queue, too short to replay a capture later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export const EmailReport = z
  .object({
    type: z.enum(['bounce', 'complaint']).describe('What the provider reported.'),
    ref: z.string().min(1).max(4096).describe('The X-Nudge-Ref header of the email the report is about.'),
    bounceType: z.enum(['hard', 'soft']).optional().describe('For bounces: hard (permanent: the address does not exist) or soft (mailbox full, …). Default: hard.'),
    reason: z.string().max(500).optional().describe('The provider\'s diagnostic, e.g. "550 5.1.1 user unknown".'),
    id: z.string().min(1).max(200).optional().describe('The provider\'s id of this report: retried webhooks with the same id are one event.'),
  })
  .strict();
export const EmailReports = z.object({ events: z.array(z.unknown()).min(1).max(100) }).strict();
export type EmailReport = z.output<typeof EmailReport>;

/**
 * The X-Nudge-Signature header for `body` at `at` (what a provider adapter sends; tests use it too): the
 * HMAC nudge's own webhooks carry (shared/payload-signature.ts), with its timestamp, in one header.
 */
export function emailEventsSignature(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${signPayload(secret, t, body).slice(SIGNATURE_PREFIX.length)}`;
}

/** Why the signature is refused, or null when it is good. */
export function emailSignatureProblem(secret: string, header: string | undefined, body: string, now: Date): string | null {
  if (!header) return `missing ${EMAIL_EVENTS_SIGNATURE_HEADER} header`;
  const parts = Object.fromEntries(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!/^\d{1,12}$/.test(parts.t ?? '') || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return `${EMAIL_EVENTS_SIGNATURE_HEADER} must be "t=<unix seconds>,v1=<64 hex digits>"`;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) return `${EMAIL_EVENTS_SIGNATURE_HEADER} timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s from now (check the clock; replays are refused)`;
  const genuine = verifyPayloadSignature(secret, t, body, SIGNATURE_PREFIX + parts.v1!, SIGNATURE_TOLERANCE_SECONDS, nowSeconds);
  return genuine ? null : `${EMAIL_EVENTS_SIGNATURE_HEADER} does not match the body (check NUDGE_EMAIL_EVENTS_SECRET)`;
}

type ItemResult = { index: number; outcome: 'published' | 'duplicate' } | { index: number; outcome: 'invalid'; reason: string };

export async function handleEmailEvents(ctx: InboundContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST') throw new HttpError(405, `${EMAIL_EVENTS_PATH} accepts POST only`, { Allow: 'POST' });
  if (!ctx.emailEventsSecret) throw new HttpError(503, 'email event webhooks are not configured: set NUDGE_EMAIL_EVENTS_SECRET');
  if (!ctx.trackingSecret) throw new HttpError(503, 'email event webhooks need NUDGE_TRACKING_SECRET (it verifies the X-Nudge-Ref of each report)');
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') throw new HttpError(415, `expected an application/json body, got ${mediaType ? `"${mediaType}"` : 'no content type'}`);
  const body = await readBody(request);
  const header = request.headers[EMAIL_EVENTS_SIGNATURE_HEADER.toLowerCase()];
  const problem = emailSignatureProblem(ctx.emailEventsSecret, Array.isArray(header) ? header[0] : header, body, ctx.now());
  if (problem) {
    ctx.log.warn({ reason: problem }, 'email event webhook refused');
    throw new HttpError(403, problem);
  }
  let parsed: z.output<typeof EmailReports>;
  try {
    const shape = EmailReports.safeParse(JSON.parse(body));
    if (!shape.success) throw new HttpError(400, `expected {"events": [1 to 100 reports]}: ${shape.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}`);
    parsed = shape.data;
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
  const results: ItemResult[] = [];
  for (const [index, raw] of parsed.events.entries()) results.push(await handleReport(ctx, index, raw, ctx.trackingSecret));
  response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(`${JSON.stringify({ results })}\n`);
}

async function handleReport(ctx: InboundContext, index: number, raw: unknown, trackingSecret: string): Promise<ItemResult> {
  const item = EmailReport.safeParse(raw);
  if (!item.success) return { index, outcome: 'invalid', reason: item.error.issues.map((issue) => `events.${index}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`).join('; ') };
  const report = item.data;
  const message = verifyMessageRef(report.ref, trackingSecret);
  if (!message || message.channel !== 'email') {
    ctx.metrics.refusal('email_events', 403);
    return { index, outcome: 'invalid', reason: `events.${index}.ref: not a message ref nudge signed for an email (a forged or edited X-Nudge-Ref)` };
  }
  const bounceType = report.bounceType ?? 'hard';
  const event = report.type === 'bounce' ? 'email_bounced' : 'email_complained';
  const details = { ...(report.type === 'bounce' ? { bounceType } : {}), ...(report.reason ? { reason: report.reason } : {}) };
  const dedupeKey = report.id ?? `${report.ref}\n${report.type}\n${bounceType}`;
  const now = ctx.now();
  try {
    const outcome = await publishEngagement(ctx.js, { event, message, details, dedupeKey }, now);
    ctx.metrics.engagement(event, outcome);
    // The consent every marketing email checks: an address that does not exist or a complaint stops them.
    if (report.type === 'complaint' || bounceType === 'hard') {
      const source = report.type === 'complaint' ? 'complaint' : 'hard_bounce';
      await publishUnsubscribe(ctx.js, { userId: message.userId, channel: 'email', topic: 'all', source, dedupeKey: `${source}\n${dedupeKey}` }, now);
    }
    ctx.log.info({ event, userId: message.userId, journeyId: message.journeyId, bounceType: report.type === 'bounce' ? bounceType : undefined, outcome }, 'email report recorded');
    return { index, outcome };
  } catch (error) {
    ctx.metrics.engagement(event, 'failed');
    ctx.log.error({ event, userId: message.userId, err: (error as Error).message }, 'could not publish an email report');
    // The provider retries the whole batch on a 5xx; the ones already published are then duplicates.
    throw new HttpError(503, 'the report could not be recorded right now', { 'Retry-After': '30' });
  }
}
