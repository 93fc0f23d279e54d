/**
 * The pages a person sees after clicking an unsubscribe link. Opening the link changes nothing (mail
 * scanners and link previews fetch it too); only the confirm button, a POST to the same URL, does.
 */
import type { UnsubscribeTarget } from './unsubscribe-links';

/** Form field the confirm button posts; tells a landing-page POST apart from an RFC 8058 one-click. */
export const CONFIRM_FIELD = 'confirm';
export const CONFIRM_VALUE = 'unsubscribe';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const channelNoun = (channel: UnsubscribeTarget['channel']) => (channel === 'sms' ? 'text messages' : 'emails');

/** "marketing emails" for topic "all", otherwise `"promotions" emails`. */
function describeTarget(target: UnsubscribeTarget): string {
  const noun = channelNoun(target.channel);
  return target.topic === 'all' ? `all marketing ${noun}` : `<strong>${escapeHtml(target.topic)}</strong> ${noun}`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

/** The confirm page; the form has no action, so it posts back to the very URL (token included). */
export function confirmPage(target: UnsubscribeTarget): string {
  return page(
    'Unsubscribe',
    `<p>Stop receiving ${describeTarget(target)}?</p>
<form method="post">
<input type="hidden" name="${CONFIRM_FIELD}" value="${CONFIRM_VALUE}">
<button type="submit">Unsubscribe</button>
</form>`,
  );
}

export function unsubscribedPage(target: UnsubscribeTarget): string {
  return page('You are unsubscribed', `<p>You will no longer receive ${describeTarget(target)}.</p>`);
}

export function invalidLinkPage(): string {
  return page(
    'This link is not valid',
    '<p>The unsubscribe link is incomplete or has been changed. Please use the link from the message exactly as it arrived.</p>',
  );
}
