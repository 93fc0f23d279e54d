/**
 * `GET /c/:token` — a tracked click: 302 to the link's target and `email_clicked` / `sms_clicked`;
 * `GET /o/:token` — the open pixel: a 1×1 GIF and `email_opened`. A token that does not verify gets 403
 * and nothing is published. HEAD answers the same without publishing (link checkers and previews send
 * HEAD; a reader's mail client never does). A click whose event cannot be published still redirects:
 * the reader must reach the page; the miss is logged and counted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-io';
import type { InboundContext } from './inbound-context';
import { publishEngagement, type Engagement } from './engagement-events';
import { verifyClickToken, verifyOpenToken } from './tracking-links';

/** A transparent 1×1 GIF (42 bytes). */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** Neither the browser nor a proxy keeps the answer; the token in the URL is not sent on as Referer. */
const NO_STORE = { 'Cache-Control': 'no-store, private', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' };

function allowReadOnly(request: IncomingMessage, what: string): boolean {
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed on ${what}`, { Allow: 'GET, HEAD' });
  return method === 'GET';
}

function requireTracking(ctx: InboundContext): string {
  if (!ctx.trackingSecret) throw new HttpError(503, 'engagement tracking is not configured: set NUDGE_TRACKING_SECRET');
  return ctx.trackingSecret;
}

/** Publishes and counts; never throws (the reader's redirect or pixel does not depend on it). */
async function record(ctx: InboundContext, engagement: Engagement): Promise<void> {
  try {
    const outcome = await publishEngagement(ctx.js, engagement, ctx.now());
    ctx.metrics.engagement(engagement.event, outcome);
    ctx.log.debug({ event: engagement.event, userId: engagement.message.userId, journeyId: engagement.message.journeyId, outcome }, 'engagement recorded');
  } catch (error) {
    ctx.metrics.engagement(engagement.event, 'failed');
    ctx.log.error({ event: engagement.event, userId: engagement.message.userId, err: (error as Error).message }, 'could not publish an engagement event');
  }
}

export async function handleTrackedClick(ctx: InboundContext, request: IncomingMessage, response: ServerResponse, token: string): Promise<void> {
  const publish = allowReadOnly(request, 'a tracked link');
  const click = verifyClickToken(token, requireTracking(ctx));
  if (!click) {
    ctx.log.warn('tracked link with an invalid signature refused');
    throw new HttpError(403, 'this link is not valid (its signature does not match)');
  }
  // The URL parser's spelling: non-ASCII percent-encoded, no CR/LF, so it is a valid Location header.
  let location: string;
  try {
    location = new URL(click.url).href;
  } catch {
    throw new HttpError(400, 'the link\'s target is not a valid URL');
  }
  if (publish) {
    const { linkIndex, url, ...message } = click;
    await record(ctx, { event: message.channel === 'sms' ? 'sms_clicked' : 'email_clicked', message, details: { url, linkIndex }, dedupeKey: token });
  }
  response.writeHead(302, { Location: location, ...NO_STORE });
  response.end();
}

export async function handleOpenPixel(ctx: InboundContext, request: IncomingMessage, response: ServerResponse, token: string): Promise<void> {
  const publish = allowReadOnly(request, 'an open pixel');
  const message = verifyOpenToken(token, requireTracking(ctx));
  if (!message) {
    ctx.log.warn('open pixel with an invalid signature refused');
    throw new HttpError(403, 'this pixel is not valid (its signature does not match)');
  }
  if (publish) await record(ctx, { event: 'email_opened', message, details: {}, dedupeKey: token });
  response.writeHead(200, { 'Content-Type': 'image/gif', 'Content-Length': String(PIXEL.length), ...NO_STORE });
  response.end(request.method === 'HEAD' ? undefined : PIXEL);
}
