/** The CORS decision: which pages may send with which write key, and what a preflight is answered. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config';
import { WriteKeys } from '../../platform/write-key-entry';
import { CORS_MAX_AGE_SECONDS, corsResponseHeaders, originRefusal, preflightAnswer } from './cors';

const keys = WriteKeys.parse({
  'wk-web': { source: 'web', allowedOrigins: ['https://shop.example.com', 'http://localhost:3000'] },
  'wk-ios': 'ios',
});

describe('CORS preflight', () => {
  it('answers an allowed origin 204 with the origin, methods, headers analytics.js sends, and a max age', () => {
    const answer = preflightAnswer('https://shop.example.com', 'POST', keys);
    expect(answer).toEqual({
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': 'https://shop.example.com',
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Content-Encoding, X-Retry-Count',
        'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
        Vary: 'Origin',
      },
    });
  });

  it('refuses an origin no key allows with 403 naming the origin and the setting, and no Allow-Origin', () => {
    const answer = preflightAnswer('https://evil.example.net', 'POST', keys);
    expect(answer.status).toBe(403);
    expect(answer).toMatchObject({ reason: expect.stringContaining('origin https://evil.example.net') });
    expect(answer).toMatchObject({ reason: expect.stringContaining('NUDGE_WRITE_KEYS') });
    expect(answer.headers['Access-Control-Allow-Origin']).toBeUndefined();
  });

  it('compares origins exactly: another port, scheme or a subdomain is another origin', () => {
    for (const origin of ['http://shop.example.com', 'https://shop.example.com:8443', 'https://a.shop.example.com', 'http://localhost:3001', 'null']) {
      expect(preflightAnswer(origin, 'POST', keys).status, origin).toBe(403);
    }
  });

  it('refuses methods other than POST with 405', () => {
    expect(preflightAnswer('https://shop.example.com', 'DELETE', keys)).toMatchObject({ status: 405, reason: expect.stringContaining('POST only') });
  });

  it('answers an OPTIONS without Origin (not a preflight) with what the route allows', () => {
    expect(preflightAnswer(undefined, undefined, keys)).toEqual({ status: 204, headers: { Allow: 'POST, OPTIONS' } });
  });

  it('"https://*.example.com" allows its subdomains on that scheme and port, not the host itself or look-alikes', () => {
    const shops = WriteKeys.parse({ 'wk-shops': { source: 'shops', allowedOrigins: ['https://*.example.com'] } });
    for (const origin of ['https://shop.example.com', 'https://a.b.example.com']) expect(preflightAnswer(origin, 'POST', shops).status, origin).toBe(204);
    for (const origin of ['https://example.com', 'http://shop.example.com', 'https://shop.example.com:8443', 'https://evilexample.com', 'https://shop.example.com.evil.net']) {
      expect(preflightAnswer(origin, 'POST', shops).status, origin).toBe(403);
    }
  });

  it('"*" allows every page', () => {
    const open = WriteKeys.parse({ 'wk-any': { source: 'widget', allowedOrigins: ['*'] } });
    expect(preflightAnswer('https://anyone.example.org', 'POST', open).status).toBe(204);
  });
});

describe('CORS on requests', () => {
  it('a page may send only with a key that names its origin, even when another key allows it', () => {
    expect(originRefusal('https://shop.example.com', 'web', ['https://shop.example.com'])).toBeUndefined();
    expect(originRefusal('https://shop.example.com', 'ios', [])).toMatch(/origin https:\/\/shop.example.com may not send with the write key of source "ios"/);
  });

  it('requests without Origin (servers, apps) are not CORS and pass', () => {
    expect(originRefusal(undefined, 'ios', [])).toBeUndefined();
  });

  it('answers carry Allow-Origin for allowed pages only', () => {
    expect(corsResponseHeaders('http://localhost:3000', keys)).toEqual({ 'Access-Control-Allow-Origin': 'http://localhost:3000', Vary: 'Origin' });
    expect(corsResponseHeaders('https://evil.example.net', keys)).toEqual({});
    expect(corsResponseHeaders(undefined, keys)).toEqual({});
  });
});

describe('allowedOrigins in NUDGE_WRITE_KEYS', () => {
  it('takes origins as browsers send them and refuses paths, trailing slashes and other schemes, naming the entry', () => {
    expect(WriteKeys.safeParse({ k: { source: 'web', allowedOrigins: ['https://www.example.com', 'http://127.0.0.1:8080'] } }).success).toBe(true);
    for (const bad of ['https://www.example.com/', 'https://www.example.com/shop', 'www.example.com', 'ftp://example.com', 'https://Example.com', 'https://*example.com', 'https://shop.*.com', '*.example.com']) {
      const parsed = WriteKeys.safeParse({ k: { source: 'web', allowedOrigins: [bad] } });
      expect(parsed.success, bad).toBe(false);
    }
    const parsed = WriteKeys.safeParse({ k: { source: 'web', allowedOrigins: ['https://x.example.com/'] } });
    expect(parsed.error?.issues.some((issue) => issue.message.includes('scheme, host and port only'))).toBe(true);
  });

  it('NUDGE_WRITE_KEYS takes both forms; a bad origin is refused naming the variable, key and index', () => {
    const config = loadConfig({ NUDGE_WRITE_KEYS: '{"wk-web":{"source":"web","allowedOrigins":["https://www.example.com"]},"wk-ios":"ios"}' });
    expect(config.NUDGE_WRITE_KEYS).toEqual({ 'wk-web': { source: 'web', allowedOrigins: ['https://www.example.com'] }, 'wk-ios': 'ios' });
    expect(() => loadConfig({ NUDGE_WRITE_KEYS: '{"wk-web":{"source":"web","allowedOrigins":["https://www.example.com/"]}}' })).toThrow(/NUDGE_WRITE_KEYS.*wk-web\.allowedOrigins\.0/s);
  });

  it('still takes the plain form (key -> source name) and refuses unknown fields', () => {
    expect(WriteKeys.parse({ k: 'server' })).toEqual({ k: 'server' });
    expect(WriteKeys.safeParse({ k: { source: 'web', origins: ['https://a.example.com'] } }).success).toBe(false);
  });
});
