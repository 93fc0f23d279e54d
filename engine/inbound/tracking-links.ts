/**
 * Signed engagement links (signed-token.ts, keyed with NUDGE_TRACKING_SECRET): a tracked click
 * `<public URL>/c/<token>` carries the message (rule, version, journey, step, person, channel), the link's
 * index in the body and its target URL; an open pixel `/o/<token>` and a message ref (carried back by
 * SMS delivery reports, and by email bounce reports from the X-Nudge-Ref header) carry the message. Each kind has its
 * own `k`, so a token of one kind never verifies as another. Like unsubscribe links they never expire.
 */
import { z } from 'zod';
import { IdentifierValue } from '../events/identifier-value';
import type { MessageRef, MessageTracking } from '../../workflows/activities/link-tracking';
import { signToken, verifyToken } from './signed-token';

/** Longest target URL a click token carries (browsers and mail clients handle ~2 KB URLs everywhere). */
export const MAX_TRACKED_URL_LENGTH = 2048;

const messageFields = {
  r: z.string().min(1).max(64),
  v: z.number().int().min(1),
  j: z.string().min(1).max(512),
  s: z.string().min(1).max(200),
  p: IdentifierValue,
  ch: z.enum(['email', 'sms']),
};
const ClickToken = z.object({ k: z.literal('c'), ...messageFields, i: z.number().int().min(0), u: z.string().max(MAX_TRACKED_URL_LENGTH).regex(/^https?:\/\//i) }).strict();
const OpenToken = z.object({ k: z.literal('o'), ...messageFields }).strict();
const RefToken = z.object({ k: z.literal('m'), ...messageFields }).strict();

export interface TrackedClick extends MessageRef {
  linkIndex: number;
  url: string;
}

const fieldsOf = (ref: MessageRef) => ({ r: ref.ruleId, v: ref.ruleVersion, j: ref.journeyId, s: ref.stepId, p: ref.userId, ch: ref.channel });
const refOf = (t: z.output<typeof RefToken>): MessageRef => ({ ruleId: t.r, ruleVersion: t.v, journeyId: t.j, stepId: t.s, userId: t.p, channel: t.ch });

export const createClickToken = (ref: MessageRef, linkIndex: number, url: string, secret: string) => signToken({ k: 'c', ...fieldsOf(ref), i: linkIndex, u: url }, secret);
export const createOpenToken = (ref: MessageRef, secret: string) => signToken({ k: 'o', ...fieldsOf({ ...ref, channel: 'email' }) }, secret);
export const createMessageRef = (ref: MessageRef, secret: string) => signToken({ k: 'm', ...fieldsOf(ref) }, secret);

export function verifyClickToken(token: string, secret: string): TrackedClick | null {
  const t = verifyToken(token, secret, ClickToken);
  return t && { ...refOf({ ...t, k: 'm' }), linkIndex: t.i, url: t.u };
}

export function verifyOpenToken(token: string, secret: string): MessageRef | null {
  const t = verifyToken(token, secret, OpenToken);
  return t && refOf({ ...t, k: 'm' });
}

export function verifyMessageRef(token: string, secret: string): MessageRef | null {
  const t = verifyToken(token, secret, RefToken);
  return t && refOf(t);
}

export interface TrackingSettings {
  /** NUDGE_PUBLIC_URL: where `nudge inbound` is reached. */
  baseUrl: string;
  /** NUDGE_TRACKING_SECRET. */
  secret: string;
}

/** The worker's tracker (workflows/activities/link-tracking.ts MessageTracking), signing with the inbound service's key. */
export function messageTracking(settings: TrackingSettings): MessageTracking {
  const base = settings.baseUrl.replace(/\/+$/, '');
  return {
    clickUrl(ref, index, url) {
      // Our own links (unsubscribe, already tracked) keep working without a hop; overlong URLs are left as they are.
      if (url === base || url.startsWith(`${base}/`) || url.length > MAX_TRACKED_URL_LENGTH) return null;
      return `${base}/c/${createClickToken(ref, index, url, settings.secret)}`;
    },
    openPixelUrl: (ref) => `${base}/o/${createOpenToken(ref, settings.secret)}`,
    messageRef: (ref) => createMessageRef(ref, settings.secret),
  };
}
