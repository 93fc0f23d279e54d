/**
 * The collector as analytics.js meets it, over HTTP with a recording sink (no NATS): its short routes
 * (/v1/t, /v1/p, …, /v1/b), text/plain bodies, the write key in the body and/or Basic auth, and CORS
 * per write key. The real analytics.js in Chromium is test/e2e/browser-tracking.e2e.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../events/envelope';
import { createLogger } from '../../platform/logger';
import { startCollectServer, type CollectServer, type EventSink } from './collect-server';

const PAGE = 'https://shop.example.com';
const keys = { 'wk-web': { source: 'web', allowedOrigins: [PAGE] }, 'wk-server': 'server' };

class RecordingSink implements EventSink {
  published: EventEnvelope[] = [];
  async publish(event: EventEnvelope): Promise<'published'> {
    this.published.push(event);
    return 'published';
  }
  ready = () => true;
}

const sink = new RecordingSink();
let server: CollectServer;
beforeAll(async () => {
  server = await startCollectServer({ port: 0, writeKeys: keys, sink, log: createLogger('test', 'silent') });
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(() => {
  sink.published = [];
});

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
async function send(path: string, body: unknown, headers: Record<string, string>, method = 'POST') {
  const response = await fetch(`${server.url}${path}`, { method, headers, body: method === 'POST' ? JSON.stringify(body) : undefined });
  return { status: response.status, text: await response.text(), headers: response.headers };
}
// What analytics.js's fetch dispatcher sends: text/plain, Basic auth, and writeKey in the body.
const fromPage = (key = 'wk-web', origin = PAGE) => ({ 'Content-Type': 'text/plain', Authorization: basic(key), Origin: origin });

describe('analytics.js short routes', () => {
  it('take each type by its first letter, with the semantics of the long routes', async () => {
    const messages: Record<string, Record<string, unknown>> = {
      t: { event: 'Signed Up', properties: { plan: 'pro' } },
      p: { name: 'Pricing', properties: { path: '/pricing' } },
      i: { traits: { email: 'ada@example.com' } },
      s: { name: 'Home' },
      g: { groupId: 'acme' },
      a: { previousId: 'anon-1' },
    };
    for (const [letter, fields] of Object.entries(messages)) {
      const answer = await send(`/v1/${letter}`, { ...fields, userId: 'ada', writeKey: 'wk-web', messageId: `m-${letter}` }, fromPage());
      expect(answer, letter).toMatchObject({ status: 200, text: '{"success":true}' });
    }
    expect(sink.published.map((e) => e.type)).toEqual(['track', 'page', 'identify', 'screen', 'group', 'alias']);
    expect(sink.published[0]).toMatchObject({ event: 'Signed Up', properties: { plan: 'pro' }, context: { source: 'web' } });
  });

  it('/v1/b is the batch route, writeKey and sentAt at the top as analytics.js batches them', async () => {
    const batch = [{ type: 'track', event: 'a', anonymousId: 'x', messageId: 'b-1' }, { type: 'page', anonymousId: 'x', messageId: 'b-2' }];
    expect((await send('/v1/b', { writeKey: 'wk-web', batch, sentAt: new Date().toISOString() }, fromPage())).status).toBe(200);
    expect(sink.published.map((e) => e.messageId)).toEqual(['b-1', 'b-2']);
  });

  it('the write key in the body alone is enough (no Authorization, so no preflight)', async () => {
    const answer = await send('/v1/t', { event: 'x', anonymousId: 'a', writeKey: 'wk-web' }, { 'Content-Type': 'text/plain', Origin: PAGE });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(PAGE);
  });

  it('unknown letters are not routes', async () => {
    expect((await send('/v1/x', { event: 'x', anonymousId: 'a' }, fromPage())).status).toBe(404);
  });
});

describe('CORS', () => {
  it('answers the preflight of an allowed page 204 with origin, methods, headers and max age', async () => {
    const answer = await send('/v1/t', undefined, { Origin: PAGE, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' }, 'OPTIONS');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(answer.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(answer.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(Number(answer.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  it('refuses the preflight of another origin with 403 and its reason, no Allow-Origin', async () => {
    const answer = await send('/v1/batch', undefined, { Origin: 'https://evil.example.net', 'Access-Control-Request-Method': 'POST' }, 'OPTIONS');
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('origin https://evil.example.net may not send events here');
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a page sending with a key that does not name its origin (403, nothing stored), even when another key does', async () => {
    const answer = await send('/v1/t', { event: 'x', anonymousId: 'a', writeKey: 'wk-server' }, fromPage('wk-server'));
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('source "server"');
    const other = await send('/v1/t', { event: 'x', anonymousId: 'a', writeKey: 'wk-web' }, fromPage('wk-web', 'https://evil.example.net'));
    expect(other.status).toBe(403);
    expect(sink.published).toEqual([]);
  });

  it('lets an allowed page read refusals (401, 400) with their reasons', async () => {
    const unknown = await send('/v1/t', { event: 'x', anonymousId: 'a' }, fromPage('wk-nope'));
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('access-control-allow-origin')).toBe(PAGE);
    const invalid = await send('/v1/t', { anonymousId: 'a', writeKey: 'wk-web' }, fromPage());
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('access-control-allow-origin')).toBe(PAGE);
  });

  it('requests without Origin (servers and apps) are not CORS-checked', async () => {
    expect((await send('/v1/track', { event: 'x', anonymousId: 'a' }, { Authorization: basic('wk-server') })).status).toBe(200);
  });
});
