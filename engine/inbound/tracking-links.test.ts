import { describe, expect, it } from 'vitest';
import type { MessageRef } from '../../workflows/activities/link-tracking';
import { createClickToken, createMessageRef, createOpenToken, messageTracking, verifyClickToken, verifyMessageRef, verifyOpenToken } from './tracking-links';
import { emailEventsSignature, emailSignatureProblem } from './email-events';

const SECRET = 'tracking-test-secret-0123456789';
const ref: MessageRef = { ruleId: 'cart', ruleVersion: 3, journeyId: 'cart/alice/1', stepId: 'email-1', userId: 'alice', channel: 'email' };
const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const resign = (fields: Record<string, unknown>, signature: string) => `${Buffer.from(JSON.stringify(fields)).toString('base64url')}.${signature}`;

describe('tracked click tokens', () => {
  it('round-trip the message, the link index and the target URL', () => {
    const token = createClickToken(ref, 2, 'https://shop.test/cart?x=1&y=ü', SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyClickToken(token, SECRET)).toEqual({ ...ref, linkIndex: 2, url: 'https://shop.test/cart?x=1&y=ü' });
  });

  it('refuse an edited target, another person, another key and a truncated signature', () => {
    const token = createClickToken(ref, 0, 'https://shop.test/', SECRET);
    const signature = token.split('.')[1]!;
    expect(verifyClickToken(resign({ ...payloadOf(token), u: 'https://evil.test/' }, signature), SECRET)).toBeNull();
    expect(verifyClickToken(resign({ ...payloadOf(token), p: 'bob' }, signature), SECRET)).toBeNull();
    expect(verifyClickToken(token, 'another-secret-0123456789')).toBeNull();
    expect(verifyClickToken(token.slice(0, -2), SECRET)).toBeNull();
    expect(verifyClickToken('not-a-token', SECRET)).toBeNull();
  });

  it('are one kind each: an open or ref token is no click, and a click is no ref', () => {
    expect(verifyClickToken(createOpenToken(ref, SECRET), SECRET)).toBeNull();
    expect(verifyClickToken(createMessageRef(ref, SECRET), SECRET)).toBeNull();
    expect(verifyMessageRef(createClickToken(ref, 0, 'https://shop.test/', SECRET), SECRET)).toBeNull();
    expect(verifyOpenToken(createMessageRef(ref, SECRET), SECRET)).toBeNull();
    expect(verifyOpenToken(createOpenToken(ref, SECRET), SECRET)).toEqual(ref);
    expect(verifyMessageRef(createMessageRef({ ...ref, channel: 'sms' }, SECRET), SECRET)).toEqual({ ...ref, channel: 'sms' });
  });

  it('a signed token whose target is not http(s) is refused (no open redirect to javascript:)', () => {
    expect(verifyClickToken(createClickToken(ref, 0, 'javascript:alert(1)', SECRET), SECRET)).toBeNull();
  });
});

describe('messageTracking (the worker\'s tracker)', () => {
  const tracking = messageTracking({ baseUrl: 'https://hooks.example.test/', secret: SECRET });

  it('makes /c/ and /o/ URLs under the public URL that verify', () => {
    const click = tracking.clickUrl(ref, 1, 'https://shop.test/a')!;
    expect(click).toMatch(/^https:\/\/hooks\.example\.test\/c\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyClickToken(click.split('/c/')[1]!, SECRET)).toMatchObject({ linkIndex: 1, url: 'https://shop.test/a' });
    expect(verifyOpenToken(tracking.openPixelUrl(ref).split('/o/')[1]!, SECRET)).toEqual(ref);
  });

  it('leaves nudge\'s own links (unsubscribe) and overlong URLs alone', () => {
    expect(tracking.clickUrl(ref, 0, 'https://hooks.example.test/u/TOKEN')).toBeNull();
    expect(tracking.clickUrl(ref, 0, `https://shop.test/${'a'.repeat(3000)}`)).toBeNull();
  });
});

describe('the email events signature', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const body = '{"events":[]}';
  it('accepts its own signature and names what is wrong otherwise', () => {
    expect(emailSignatureProblem(SECRET, emailEventsSignature(SECRET, body, now), body, now)).toBeNull();
    expect(emailSignatureProblem(SECRET, undefined, body, now)).toContain('missing X-Nudge-Signature');
    expect(emailSignatureProblem(SECRET, 'v1=abc', body, now)).toContain('must be "t=<unix seconds>,v1=<64 hex digits>"');
    expect(emailSignatureProblem(SECRET, emailEventsSignature(SECRET, body, now), `${body} `, now)).toContain('does not match the body');
    expect(emailSignatureProblem(SECRET, emailEventsSignature('other-secret-0123456789', body, now), body, now)).toContain('does not match');
    expect(emailSignatureProblem(SECRET, emailEventsSignature(SECRET, body, new Date(now.getTime() - 600_000)), body, now)).toContain('more than 300 s');
  });
});
