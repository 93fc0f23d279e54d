/**
 * The collector over HTTP with a recording sink (no NATS): what is answered, and that a refused request
 * publishes nothing. Real NATS and Segment's own SDK are in test/e2e/collect.test.ts.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../events/envelope';
import { createLogger } from '../../platform/logger';
import { startCollectServer, type CollectServer, type EventSink } from './collect-server';

const WRITE_KEY = 'wk-test';
const RECEIVED = new Date('2026-03-01T12:00:00.000Z');

class RecordingSink implements EventSink {
  published: EventEnvelope[] = [];
  failAfter = Infinity;
  connected = true;
  async publish(event: EventEnvelope): Promise<'published' | 'duplicate'> {
    if (this.published.length >= this.failAfter) throw new Error('TIMEOUT');
    if (this.published.some((e) => e.messageId === event.messageId)) return 'duplicate';
    this.published.push(event);
    return 'published';
  }
  ready = () => this.connected;
}

const sink = new RecordingSink();
let server: CollectServer;

beforeAll(async () => {
  server = await startCollectServer({ port: 0, writeKeys: { [WRITE_KEY]: 'test-source' }, sink, log: createLogger('test', 'silent'), now: () => RECEIVED });
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(() => {
  sink.published = [];
  sink.failAfter = Infinity;
  sink.connected = true;
});

const auth = (key = WRITE_KEY) => ({ Authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
async function post(path: string, body: unknown, headers: Record<string, string> = auth()) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}
const track = (n: number) => ({ type: 'track', userId: `u${n}`, event: 'page_viewed', properties: { page: 'pricing' }, messageId: `m-${n}` });

describe('collector HTTP API', () => {
  it('answers 200 {"success":true} once every message is published', async () => {
    const answer = await post('/v1/batch', { batch: [track(1), track(2)], sentAt: RECEIVED.toISOString() });
    expect(answer).toMatchObject({ status: 200, text: '{"success":true}' });
    expect(sink.published.map((e) => e.messageId)).toEqual(['m-1', 'm-2']);
    expect(sink.published[0]!.context).toEqual({ source: 'test-source' });

    // analytics.js sends text/plain (no CORS preflight); curl -d sends a form type: the body is JSON all the same.
    expect((await post('/v1/page', { userId: 'u1', name: 'Pricing', properties: { path: '/pricing' } }, { ...auth(), 'Content-Type': 'text/plain' })).status).toBe(200);
    expect(sink.published[2]).toMatchObject({ type: 'page', name: 'Pricing', receivedAt: RECEIVED.toISOString(), timestamp: RECEIVED.toISOString() });
  });

  it('takes gzip bodies', async () => {
    const body = gzipSync(JSON.stringify({ batch: [track(3)] }));
    expect((await post('/v1/batch', body, { ...auth(), 'Content-Encoding': 'gzip' })).status).toBe(200);
    expect(sink.published.map((e) => e.messageId)).toEqual(['m-3']);
    expect(await post('/v1/batch', Buffer.from('not gzip'), { ...auth(), 'Content-Encoding': 'gzip' })).toMatchObject({ status: 400, text: expect.stringMatching(/not valid gzip/) });
    expect((await post('/v1/batch', body, { ...auth(), 'Content-Encoding': 'br' })).status).toBe(415);
  });

  it('refuses a wrong or missing write key with 401 and publishes nothing', async () => {
    const wrong = await post('/v1/batch', { batch: [track(1)] }, auth('wk-nope'));
    expect(wrong.status).toBe(401);
    expect(wrong.text).toMatch(/^unknown write key/);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="nudge collect"');
    expect((await post('/v1/track', track(1), {})).status).toBe(401);
    expect((await post('/v1/track', track(1), { Authorization: 'Bearer x' })).status).toBe(401);
    expect(sink.published).toEqual([]);
  });

  it('takes the write key from the body when there is no Authorization header (browser libraries)', async () => {
    expect((await post('/v1/batch', { batch: [track(4)], writeKey: WRITE_KEY }, {})).status).toBe(200);
    expect((await post('/v1/batch', { batch: [track(5)], writeKey: 'wk-nope' }, {})).status).toBe(401);
    expect(sink.published.map((e) => e.messageId)).toEqual(['m-4']);
  });

  it('refuses malformed JSON and invalid messages with 400 and the reason; nothing of the batch is published', async () => {
    expect(await post('/v1/track', '{"userId": "u1", "event": ')).toMatchObject({ status: 400, text: expect.stringMatching(/^malformed JSON/) });
    expect(await post('/v1/batch', '')).toMatchObject({ status: 400, text: expect.stringMatching(/^empty body/) });
    const invalid = await post('/v1/batch', { batch: [track(1), track(2), { ...track(3), userId: undefined }] });
    expect(invalid).toMatchObject({ status: 400, text: 'batch[2].userId: an event needs a userId or an anonymousId\n' });
    expect(sink.published).toEqual([]);
  });

  it('refuses bodies over Segment\'s limits with 413: 500 KB per batch, 32 KB per single call', async () => {
    const batch = Array.from({ length: 1500 }, (_, i) => ({ ...track(i), properties: { page: 'pricing', padding: 'x'.repeat(400) } }));
    const oversize = await post('/v1/batch', { batch });
    expect(oversize.status).toBe(413);
    expect(oversize.text).toMatch(/request body larger than 512000 bytes/);
    const bomb = gzipSync(JSON.stringify({ batch, filler: 'y'.repeat(600_000) }));
    expect((await post('/v1/batch', bomb, { ...auth(), 'Content-Encoding': 'gzip' })).status).toBe(413);
    expect((await post('/v1/track', { ...track(1), properties: { blob: 'x'.repeat(33 * 1024) } })).status).toBe(413);
    expect(sink.published).toEqual([]);
  });

  it('answers 503 when a publish fails, so the client retries; the retry stores only what is missing', async () => {
    sink.failAfter = 1;
    const failed = await post('/v1/batch', { batch: [track(1), track(2), track(3)] });
    expect(failed.status).toBe(503);
    expect(failed.text).toMatch(/could not store message 1 \(m-2\).*TIMEOUT.*retry/);
    sink.failAfter = Infinity;
    expect((await post('/v1/batch', { batch: [track(1), track(2), track(3)] })).status).toBe(200);
    expect(sink.published.map((e) => e.messageId)).toEqual(['m-1', 'm-2', 'm-3']);
  });

  it('answers 503 at once while NATS is disconnected, and /healthz says so', async () => {
    sink.connected = false;
    expect((await post('/v1/track', track(1))).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    sink.connected = true;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(sink.published).toEqual([]);
  });

  it('knows only Segment\'s routes, by POST', async () => {
    expect((await post('/v1/pageview', track(1))).status).toBe(404);
    expect((await fetch(`${server.url}/v1/track`)).status).toBe(405);
  });
});
