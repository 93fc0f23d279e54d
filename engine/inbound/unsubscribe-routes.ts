/**
 * `GET /u/:token` shows the confirm page; `POST /u/:token` unsubscribes — either the RFC 8058 one-click
 * POST a mail client sends (`List-Unsubscribe=One-Click`) or the confirm page's button. A token that
 * does not verify gets 403 and nothing is published.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readForm, sendHtml, sendText } from './http-io';
import type { InboundContext } from './inbound-context';
import { CONFIRM_FIELD, CONFIRM_VALUE, confirmPage, invalidLinkPage, unsubscribedPage } from './landing-page';
import { publishUnsubscribe, type UnsubscribeSource } from './unsubscribe-event';
import { verifyUnsubscribeToken } from './unsubscribe-links';

export async function handleUnsubscribeLink(ctx: InboundContext, request: IncomingMessage, response: ServerResponse, token: string): Promise<void> {
  const method = request.method ?? 'GET';
  if (!['GET', 'HEAD', 'POST'].includes(method)) throw new HttpError(405, `${method} is not allowed on an unsubscribe link`, { Allow: 'GET, HEAD, POST' });
  const target = verifyUnsubscribeToken(token, ctx.secret);
  if (!target) {
    ctx.log.warn({ method }, 'unsubscribe link with an invalid signature refused');
    return sendHtml(response, 403, invalidLinkPage());
  }
  if (method !== 'POST') return sendHtml(response, 200, confirmPage(target));

  const form = await readForm(request, { allowMultipart: true });
  const source: UnsubscribeSource | null =
    form['List-Unsubscribe'] === 'One-Click' ? 'one-click' : form[CONFIRM_FIELD] === CONFIRM_VALUE ? 'landing-page' : null;
  if (!source) throw new HttpError(400, `expected the form field List-Unsubscribe=One-Click (RFC 8058) or ${CONFIRM_FIELD}=${CONFIRM_VALUE}`);

  // One token is one unsubscribe, whichever way it arrives: a one-click and a confirm share the messageId.
  const outcome = await publishUnsubscribe(ctx.js, { ...target, source, dedupeKey: `link\n${token}` }, ctx.now()).catch((error: Error) => {
    ctx.log.error({ err: error.message, userId: target.userId }, 'could not publish an unsubscribe');
    throw new HttpError(503, 'the unsubscribe could not be recorded right now; please try again', { 'Retry-After': '30' });
  });
  ctx.log.info({ userId: target.userId, channel: target.channel, topic: target.topic, source, outcome }, 'unsubscribed');
  if (source === 'one-click') return sendText(response, 200, 'unsubscribed');
  return sendHtml(response, 200, unsubscribedPage(target));
}
