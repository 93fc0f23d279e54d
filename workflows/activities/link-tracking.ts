/**
 * Engagement tracking at render time, after Liquid has run (so a link built from variables is tracked
 * with its final value): http(s) links in email html/text and SMS bodies are replaced by the tracker's
 * signed redirect, and an html email may get an open pixel. Which links are left alone is decided here
 * (mailto:, tel:, sms:, anchors, anything not http(s)) and by the tracker (its own links, such as
 * unsubscribe links, which must keep working without a redirect). The signing lives with the inbound
 * service that verifies it (engine/inbound/tracking-links.ts), handed in as `MessageTracking`.
 */

/** Which message a tracked link, pixel or delivery report belongs to. */
export interface MessageRef {
  ruleId: string;
  ruleVersion: number;
  journeyId: string;
  stepId: string;
  /** The journey's person id (events about them are published naming it, not resolved again). */
  userId: string;
  channel: 'email' | 'sms';
}

/** A rule's tracking options (rules/schema/rule.ts `tracking`), resolved: both off unless the rule says so. */
export interface TrackingOptions {
  clicks: boolean;
  opens: boolean;
}

export interface MessageTracking {
  /** The signed redirect for the `index`th link of a message; null: leave this link as it is. */
  clickUrl(ref: MessageRef, index: number, url: string): string | null;
  /** The signed 1×1 GIF URL of an email. */
  openPixelUrl(ref: MessageRef): string;
  /**
   * A signed reference to the message that delivery reports carry back: the SMS connector puts it in
   * the provider's status callback (SmsMessage.deliveryRef), an email carries it in X-Nudge-Ref.
   */
  messageRef(ref: MessageRef): string;
}

/** The header an email carries its message ref in; providers echo it (or a copy in their metadata) in bounce reports. */
export const MESSAGE_REF_HEADER = 'X-Nudge-Ref';

// A URL ends at whitespace, quotes or angle brackets; trailing sentence punctuation is not part of it.
const TEXT_URL = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;
// An <a …> start tag's href attribute (double- or single-quoted; unquoted hrefs are rare and left alone).
const ANCHOR_HREF = /(<a\s(?:[^>]*?\s)?href\s*=\s*)(["'])(.*?)\2/gis;
const TRACKABLE = /^https?:\/\//i;

/** Rewrites http(s) URLs in plain text (email text parts, SMS bodies); returns the text and how many links were tracked. */
export function trackTextLinks(text: string, track: (url: string, index: number) => string | null): { text: string; tracked: number } {
  let index = 0;
  let tracked = 0;
  const out = text.replace(TEXT_URL, (match) => {
    const trailing = TRAILING_PUNCTUATION.exec(match)?.[0] ?? '';
    const url = match.slice(0, match.length - trailing.length);
    const replacement = track(url, index++);
    if (replacement === null) return match;
    tracked++;
    return replacement + trailing;
  });
  return { text: out, tracked };
}

const decodeAttribute = (value: string) =>
  value.replace(/&(amp|quot|#39|apos|lt|gt);/g, (_, name: string) => ({ amp: '&', quot: '"', '#39': "'", apos: "'", lt: '<', gt: '>' })[name]!);
const encodeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Rewrites the href of every <a> whose target is http(s); text between tags is left alone (it is what the reader sees). */
export function trackHtmlLinks(html: string, track: (url: string, index: number) => string | null): { html: string; tracked: number } {
  let index = 0;
  let tracked = 0;
  const out = html.replace(ANCHOR_HREF, (match, start: string, quote: string, raw: string) => {
    const url = decodeAttribute(raw.trim());
    if (!TRACKABLE.test(url)) return match;
    const replacement = track(url, index++);
    if (replacement === null) return match;
    tracked++;
    return `${start}${quote}${encodeAttribute(replacement)}${quote}`;
  });
  return { html: out, tracked };
}

/** Adds the open pixel before </body>, or at the end of an html fragment. */
export function withOpenPixel(html: string, pixelUrl: string): string {
  const img = `<img src="${encodeAttribute(pixelUrl)}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`;
  const close = html.search(/<\/body\s*>/i);
  return close < 0 ? `${html}${img}` : `${html.slice(0, close)}${img}${html.slice(close)}`;
}

export interface TrackedEmail {
  text: string;
  html?: string;
  headers: Record<string, string>;
}

/** An email's bodies with tracked links (and pixel), and the message ref header. */
export function trackEmail(tracking: MessageTracking, ref: MessageRef, options: TrackingOptions, body: { text: string; html?: string }): TrackedEmail {
  const track = (url: string, index: number) => (options.clicks ? tracking.clickUrl(ref, index, url) : null);
  const text = trackTextLinks(body.text, track).text;
  let html = body.html === undefined ? undefined : trackHtmlLinks(body.html, track).html;
  if (html !== undefined && options.opens) html = withOpenPixel(html, tracking.openPixelUrl(ref));
  return { text, ...(html !== undefined ? { html } : {}), headers: { [MESSAGE_REF_HEADER]: tracking.messageRef(ref) } };
}

/** An SMS body with tracked links (no pixel: SMS has none). */
export function trackSms(tracking: MessageTracking, ref: MessageRef, options: TrackingOptions, body: string): string {
  return options.clicks ? trackTextLinks(body, (url, index) => tracking.clickUrl(ref, index, url)).text : body;
}
