/**
 * The collector with Segment's own Node SDK (@segment/analytics-node, unchanged, pointed at it with
 * `host`) and a real nats-server: what the SDK sends arrives in the events stream exactly once, refused
 * requests store nothing, and an outage of NATS is bridged by the SDK's retries.
 */
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { startCollectService } from '../../engine/collect/collect-service';
import type { CollectServer } from '../../engine/collect/collect-server';
import { loadConfig } from '../../platform/config';
import type { EventEnvelope } from '../../engine/events/envelope';
import { readStreamRange } from '../../engine/simulate/inputs';
import { eventually } from '../support/poll';

const WRITE_KEY = 'wk-e2e';
let nats: NatsServerHandle;
let nc: NatsConnection;
let collector: CollectServer;

beforeAll(async () => {
  nats = await startNats();
  const config = loadConfig({ NATS_URL: nats.url, NUDGE_PARTITIONS: '4', NUDGE_COLLECT_PORT: '0', NUDGE_WRITE_KEYS: JSON.stringify({ [WRITE_KEY]: 'e2e-shop' }), LOG_LEVEL: 'silent' });
  collector = await startCollectService({ config, publishTimeoutMs: 2000 });
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
});
afterAll(async () => {
  await collector?.stop();
  await nc?.close();
  await nats?.stop();
});

/** Segment's SDK as an application would configure it, sending to the collector. */
function segmentClient(settings: { writeKey?: string; flushAt?: number; maxRetries?: number } = {}) {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: collector.url, path: '/v1/batch', flushInterval: 50, flushAt: 20, maxRetries: 3, ...settings });
  const statuses: number[] = [];
  const requestBodies: string[] = [];
  analytics.on('http_request', (request) => void requestBodies.push(request.body));
  analytics.on('http_response', (response) => void statuses.push(response.status));
  return { analytics, statuses, requestBodies };
}

/** Every event of these users in the stream. */
async function storedEvents(users: (id: string) => boolean): Promise<EventEnvelope[]> {
  const { events } = await readStreamRange(nc, new Date(0), new Date(Date.now() + 60_000));
  return events.filter((e) => users(e.userId ?? e.anonymousId ?? ''));
}

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('nudge collect with @segment/analytics-node', () => {
  it('track, identify and page from the SDK arrive once, as envelopes with the source and corrected times', async () => {
    const user = `sdk-${randomUUID()}`;
    const { analytics, statuses } = segmentClient();
    analytics.identify({ userId: user, traits: { email: `${user}@example.com`, plan: 'pro' } });
    analytics.track({ userId: user, event: 'product_added', properties: { product: 'Trail shoes', price: 129 }, timestamp: new Date(Date.now() - 60_000) });
    analytics.page({ userId: user, name: 'Pricing', category: 'Marketing', properties: { path: '/pricing', url: 'https://shop.test/pricing', title: 'Pricing' } });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(statuses).toEqual([200]);

    const stored = await storedEvents((id) => id === user);
    expect(stored.map((e) => e.type).sort()).toEqual(['identify', 'page', 'track']);
    expect(new Set(stored.map((e) => e.messageId)).size).toBe(3);
    const page = stored.find((e) => e.type === 'page')!;
    expect(page).toMatchObject({ name: 'Pricing', category: 'Marketing', properties: { path: '/pricing', url: 'https://shop.test/pricing' } });
    expect(page.context).toMatchObject({ source: 'e2e-shop', library: { name: '@segment/analytics-node' } });
    const track = stored.find((e) => e.type === 'track')!;
    expect(Math.abs(Date.parse(track.timestamp) - (Date.parse(track.receivedAt!) - 60_000))).toBeLessThan(5_000);
    expect(track.originalTimestamp).toBeDefined();
  });

  it('a 500-message batch arrives once; sending the same batch again stores nothing new', async () => {
    const tag = `batch-${randomUUID().slice(0, 8)}`;
    const { analytics, statuses, requestBodies } = segmentClient({ flushAt: 500 });
    for (let i = 0; i < 500; i++) analytics.track({ userId: `${tag}-${i % 50}`, event: 'page_viewed', properties: { page: 'pricing', i } });
    await analytics.closeAndFlush({ timeout: 30_000 });
    expect(statuses).toEqual([200]);
    expect((JSON.parse(requestBodies[0]!) as { batch: unknown[] }).batch).toHaveLength(500);

    const stored = await storedEvents((id) => id.startsWith(tag));
    expect(stored).toHaveLength(500);
    expect(new Set(stored.map((e) => (e.type === 'track' ? e.properties.i : null))).size).toBe(500);

    const replay = await fetch(`${collector.url}/v1/batch`, { method: 'POST', headers: { Authorization: basic(WRITE_KEY), 'Content-Type': 'application/json' }, body: requestBodies[0] });
    expect(replay.status).toBe(200);
    expect(await storedEvents((id) => id.startsWith(tag))).toHaveLength(500);
  });

  it('a wrong write key gets 401, malformed JSON 400, an oversize batch 413, and none of them stores anything', async () => {
    const tag = `refused-${randomUUID().slice(0, 8)}`;
    const { analytics, statuses } = segmentClient({ writeKey: 'wk-wrong' });
    analytics.track({ userId: `${tag}-sdk`, event: 'order_completed' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(statuses).toEqual([401]); // not retried: the SDK gives up on 4xx

    const post = (body: string) => fetch(`${collector.url}/v1/batch`, { method: 'POST', headers: { Authorization: basic(WRITE_KEY), 'Content-Type': 'application/json' }, body });
    const message = (i: number) => ({ type: 'track', userId: `${tag}-${i}`, event: 'x', properties: { padding: 'p'.repeat(1000) } });
    const malformed = await post(`{"batch": [${JSON.stringify(message(0))},`);
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toMatch(/^malformed JSON/);
    const oversize = await post(JSON.stringify({ batch: Array.from({ length: 600 }, (_, i) => message(i)) }));
    expect(oversize.status).toBe(413);
    expect(await oversize.text()).toMatch(/larger than 512000 bytes/);
    const oneBad = await post(JSON.stringify({ batch: [message(1), { ...message(2), timestamp: 'yesterday' }] }));
    expect([oneBad.status, await oneBad.text()]).toEqual([400, 'batch[1].timestamp: expected an ISO-8601 date-time, got "yesterday"\n']);

    expect(await storedEvents((id) => id.startsWith(tag))).toEqual([]);
  });

  it('while NATS is down the collector answers 5xx; the SDK\'s retries after it is back deliver every event exactly once', async () => {
    const tag = `outage-${randomUUID().slice(0, 8)}`;
    await nats.stop();
    const { analytics, statuses } = segmentClient({ flushAt: 10, maxRetries: 10 });
    for (let i = 0; i < 30; i++) analytics.track({ userId: `${tag}-${i % 3}`, event: 'product_added', properties: { i } });
    const flushed = analytics.closeAndFlush({ timeout: 60_000 });

    await eventually(() => statuses.find((s) => s >= 500), 15_000, 'a 5xx answer while NATS is down');
    nats = await startNats({ port: nats.port, storeDir: nats.storeDir });
    await flushed;

    expect(statuses.filter((s) => s >= 500).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    const stored = await storedEvents((id) => id.startsWith(tag));
    const perIndex = stored.map((e) => (e.type === 'track' ? e.properties.i : null));
    expect(perIndex.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 30 }, (_, i) => i));
  }, 90_000);
});
