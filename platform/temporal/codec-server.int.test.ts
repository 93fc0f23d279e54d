import { randomBytes } from 'node:crypto';
import { DefaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCodecServer, type CodecServerHandle } from './codec-server';
import { AesGcmPayloadCodec } from './payload-codec';

const TOKEN = randomBytes(24).toString('hex');
const UI = 'http://127.0.0.1:8233';
const codec = new AesGcmPayloadCodec({ keys: new Map([['k1', randomBytes(32)]]), current: 'k1' });
const converter = new DefaultPayloadConverter();
let server: CodecServerHandle;

beforeAll(async () => {
  server = await startCodecServer({ codec, token: TOKEN, origins: [UI], host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.stop();
});

const asJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const post = (path: string, body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('codec server', () => {
  it('decodes what the codec encrypted, and encodes back (Temporal\'s codec protocol)', async () => {
    const [encrypted] = await codec.encode([converter.toPayload({ email: 'ann@example.com' })]);
    const response = await post('/decode', { payloads: [asJson(encrypted!)] });
    expect(response.status).toBe(200);
    const { payloads } = (await response.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(payloads[0]!.data, 'base64').toString()).toBe('{"email":"ann@example.com"}');

    const encoded = (await (await post('/encode', { payloads })).json()) as { payloads: { data: string }[] };
    expect(Buffer.from(encoded.payloads[0]!.data, 'base64').toString('latin1')).not.toContain('ann@example.com');
  });

  it('refuses a missing or wrong token (401); takes the token as a path segment for the Web UI', async () => {
    expect((await post('/decode', { payloads: [] }, {})).status).toBe(401);
    expect((await post('/decode', { payloads: [] }, { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/nope/decode', { payloads: [] }, {})).status).toBe(401);
    expect((await post(`/${TOKEN}/decode`, { payloads: [] }, {})).status).toBe(200);
  });

  it('answers the Web UI\'s preflight with CORS headers, and no other origin', async () => {
    const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    const other = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('bad input gets a 4xx naming what is wrong: not JSON, wrong shape, an unknown key, a tampered payload', async () => {
    const notJson = await fetch(`${server.url}/decode`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: '{' });
    expect(notJson.status).toBe(400);
    const shape = await post('/decode', { payloads: [{ data: 42 }] });
    expect(shape.status).toBe(400);
    expect(((await shape.json()) as { error: string }).error).toMatch(/payloads\.0\.data/);
    const [encrypted] = await new AesGcmPayloadCodec({ keys: new Map([['other', randomBytes(32)]]), current: 'other' }).encode([converter.toPayload(1)]);
    const unknown = await post('/decode', { payloads: [asJson(encrypted!)] });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/key "other"/);
    expect((await post('/other', {})).status).toBe(404);
  });
});
