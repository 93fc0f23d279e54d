import { describe, expect, it } from 'vitest';
import { createUnsubscribeToken, unsubscribeHeaders, verifyUnsubscribeToken, type UnsubscribeTarget } from './unsubscribe-links';

const SECRET = 'test-unsubscribe-secret-0123456789';
const target: UnsubscribeTarget = { userId: 'alice', channel: 'email', topic: 'promotions' };

/** Replaces one character of `text` at `index` with a different one from the base64url alphabet. */
const flip = (text: string, index: number) => text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1);

describe('unsubscribe tokens', () => {
  it('round-trips the user, channel and topic, and is URL-safe', () => {
    const token = createUnsubscribeToken(target, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyUnsubscribeToken(token, SECRET)).toEqual(target);
    expect(verifyUnsubscribeToken(createUnsubscribeToken({ userId: 'ü/ser?&=', channel: 'sms', topic: 'all' }, SECRET), SECRET)).toEqual({
      userId: 'ü/ser?&=', channel: 'sms', topic: 'all',
    });
  });

  it('is deterministic: one (user, channel, topic) has one token', () => {
    expect(createUnsubscribeToken(target, SECRET)).toBe(createUnsubscribeToken({ ...target }, SECRET));
  });

  it('refuses a token whose payload was changed to another user', () => {
    const token = createUnsubscribeToken(target, SECRET);
    const signature = token.split('.')[1]!;
    const forgedPayload = Buffer.from(JSON.stringify({ ...target, userId: 'bob' })).toString('base64url');
    expect(verifyUnsubscribeToken(`${forgedPayload}.${signature}`, SECRET)).toBeNull();
    expect(verifyUnsubscribeToken(flip(token, 3), SECRET)).toBeNull();
  });

  it('refuses a tampered signature, including a non-canonical spelling of the same bytes', () => {
    const token = createUnsubscribeToken(target, SECRET);
    const dot = token.indexOf('.');
    expect(verifyUnsubscribeToken(flip(token, dot + 5), SECRET)).toBeNull();
    expect(verifyUnsubscribeToken(token.slice(0, -1), SECRET)).toBeNull();
    expect(verifyUnsubscribeToken(`${token}A`, SECRET)).toBeNull();
    // The last of 43 base64url characters carries 2 spare bits, so four characters spell the same bytes.
    const last = token.at(-1)!;
    const sameBytes = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').find(
      (c) => c !== last && Buffer.from(token.slice(dot + 1, -1) + c, 'base64url').equals(Buffer.from(token.slice(dot + 1), 'base64url')),
    );
    expect(sameBytes).toBeDefined();
    expect(verifyUnsubscribeToken(token.slice(0, -1) + sameBytes, SECRET)).toBeNull();
  });

  it('refuses a token signed with another secret', () => {
    expect(verifyUnsubscribeToken(createUnsubscribeToken(target, 'another-secret-0123456789'), SECRET)).toBeNull();
  });

  it.each(['', '.', 'abc', 'abc.', '.abc', 'a.b.c', 'a b.c', 'x'.repeat(2000) + '.y'])('refuses malformed token %j', (token) => {
    expect(verifyUnsubscribeToken(token, SECRET)).toBeNull();
  });

  it('refuses a correctly signed payload that is not an unsubscribe target', async () => {
    const { createHmac } = await import('node:crypto');
    const payload = Buffer.from(JSON.stringify({ userId: 'alice', channel: 'fax', topic: 'all' })).toString('base64url');
    const signature = createHmac('sha256', SECRET).update(payload).digest('base64url');
    expect(verifyUnsubscribeToken(`${payload}.${signature}`, SECRET)).toBeNull();
  });
});

describe('unsubscribeHeaders', () => {
  const settings = { baseUrl: 'https://hooks.example.com/', mailto: 'unsubscribe@example.com', secret: SECRET };

  it('gives the RFC 8058 headers with an https and a mailto link carrying the same email token', () => {
    const headers = unsubscribeHeaders({ userId: 'alice', topic: 'promotions' }, settings);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const match = /^<https:\/\/hooks\.example\.com\/u\/([^>]+)>, <mailto:unsubscribe@example\.com\?subject=unsubscribe-([^>]+)>$/.exec(headers['List-Unsubscribe']);
    expect(match, headers['List-Unsubscribe']).not.toBeNull();
    expect(match![1]).toBe(match![2]);
    expect(verifyUnsubscribeToken(match![1]!, SECRET)).toEqual({ userId: 'alice', channel: 'email', topic: 'promotions' });
  });
});
