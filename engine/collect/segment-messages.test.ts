/**
 * Segment messages -> envelopes: field mapping per type, clock-skew correction, generated messageIds,
 * Segment's size limits, and refusals that name the message and the field.
 */
import { describe, expect, it } from 'vitest';
import { eventTime } from './clock-skew';
import { collectBatch, collectCall, MAX_MESSAGE_BYTES, type Collected } from './segment-messages';

const RECEIVED = Date.parse('2026-03-01T12:00:00.000Z');
const arrival = { source: 'web', receivedAt: RECEIVED };
const iso = (ms: number) => new Date(ms).toISOString();

function events(collected: Collected) {
  if (!collected.ok) throw new Error(`refused: ${collected.reason}`);
  return collected.events;
}
function reason(collected: Collected) {
  if (collected.ok) throw new Error('accepted, expected a refusal');
  return collected.reason;
}

describe('clock skew, as Segment corrects it', () => {
  it.each([
    ['timestamp and sentAt: shifted by receivedAt - sentAt', { timestamp: RECEIVED - 60_000 - 5_000, sentAt: RECEIVED - 5_000 }, RECEIVED - 60_000],
    ['a client clock 1 h fast is pulled back', { timestamp: RECEIVED + 3_600_000 - 1_000, sentAt: RECEIVED + 3_600_000 }, RECEIVED - 1_000],
    ['timestamp without sentAt: taken as is', { timestamp: RECEIVED - 7_000 }, RECEIVED - 7_000],
    ['originalTimestamp and sentAt (analytics.js): corrected the same way', { originalTimestamp: RECEIVED + 10_000 - 2_000, sentAt: RECEIVED + 10_000 }, RECEIVED - 2_000],
    ['timestamp wins over originalTimestamp', { timestamp: RECEIVED - 1_000, originalTimestamp: RECEIVED - 9_000 }, RECEIVED - 1_000],
    ['no client time: receivedAt', { sentAt: RECEIVED - 50_000 }, RECEIVED],
  ])('%s', (_name, client, expected) => {
    expect(eventTime(client, RECEIVED).timestamp).toBe(expected);
  });
});

describe('one message: /v1/<type>', () => {
  it('maps a track call to an envelope, recording receivedAt, the client time and the source', () => {
    const [event] = events(collectCall({
      userId: 'ann', event: 'order_completed', properties: { amount: 49 }, messageId: 'm-1',
      timestamp: iso(RECEIVED - 65_000), sentAt: iso(RECEIVED - 5_000),
      context: { library: { name: 'analytics-python' }, source: 'spoofed' }, integrations: { All: true }, _metadata: { x: 1 },
    }, 'track', arrival));
    expect(event).toEqual({
      type: 'track', userId: 'ann', event: 'order_completed', properties: { amount: 49 }, messageId: 'm-1',
      timestamp: iso(RECEIVED - 60_000), originalTimestamp: iso(RECEIVED - 65_000), receivedAt: iso(RECEIVED),
      context: { library: { name: 'analytics-python' }, source: 'web' },
    });
  });

  it('takes the type from the endpoint', () => {
    const [event] = events(collectCall({ type: 'track', anonymousId: 'a-1', traits: { plan: 'pro' } }, 'identify', arrival));
    expect(event).toMatchObject({ type: 'identify', anonymousId: 'a-1', traits: { plan: 'pro' }, timestamp: iso(RECEIVED) });
  });

  it('maps page, screen, group and alias with Segment\'s field names; nulls count as absent', () => {
    const page = events(collectCall({ userId: 'u', name: 'Pricing', category: 'Marketing', properties: { path: '/pricing', url: 'https://x.test/pricing' }, anonymousId: null }, 'page', arrival))[0]!;
    expect(page).toMatchObject({ type: 'page', name: 'Pricing', category: 'Marketing', properties: { path: '/pricing' } });
    expect(events(collectCall({ userId: 'u', name: 'Home' }, 'screen', arrival))[0]).toMatchObject({ type: 'screen', name: 'Home', properties: {} });
    expect(events(collectCall({ userId: 'u', groupId: 'acme', traits: { plan: 'team' } }, 'group', arrival))[0]).toMatchObject({ type: 'group', groupId: 'acme', traits: { plan: 'team' } });
    expect(events(collectCall({ userId: 'u', previousId: 'anon-1' }, 'alias', arrival))[0]).toMatchObject({ type: 'alias', previousId: 'anon-1' });
  });

  it('refuses what the envelope refuses, naming the field', () => {
    expect(reason(collectCall({ event: 'x' }, 'track', arrival))).toBe('userId: an event needs a userId or an anonymousId');
    expect(reason(collectCall({ userId: 'u' }, 'track', arrival))).toMatch(/^event: /);
    expect(reason(collectCall({ userId: 'u', groupId: 'g', shoeSize: 44 }, 'group', arrival))).toMatch(/^\(message\): Unrecognized key.*shoeSize/);
    expect(reason(collectCall({ userId: 'u', event: 'x', timestamp: 'yesterday' }, 'track', arrival))).toBe('timestamp: expected an ISO-8601 date-time, got "yesterday"');
    expect(reason(collectCall([{ userId: 'u' }], 'track', arrival))).toMatch(/JSON object/);
  });
});

describe('messageId', () => {
  it('is kept when given', () => {
    expect(events(collectCall({ userId: 'u', event: 'x', messageId: 'given' }, 'track', arrival))[0]!.messageId).toBe('given');
  });

  it('is derived from the message when it has its own time, so a retried request is a duplicate', () => {
    const message = { userId: 'u', event: 'x', timestamp: iso(RECEIVED - 1000) };
    const first = events(collectCall({ ...message, sentAt: iso(RECEIVED - 500) }, 'track', arrival))[0]!.messageId;
    const retry = events(collectCall({ ...message, sentAt: iso(RECEIVED + 30_000) }, 'track', { ...arrival, receivedAt: RECEIVED + 30_500 }))[0]!.messageId;
    expect(first).toMatch(/^sha256-[0-9a-f]{32}$/);
    expect(retry).toBe(first);
    expect(events(collectCall({ ...message }, 'track', { ...arrival, source: 'ios' }))[0]!.messageId).not.toBe(first);
  });

  it('is random without a client time: two identical calls are two events', () => {
    const a = events(collectCall({ userId: 'u', event: 'x' }, 'track', arrival))[0]!.messageId;
    const b = events(collectCall({ userId: 'u', event: 'x' }, 'track', arrival))[0]!.messageId;
    expect(a).toMatch(/^api-/);
    expect(a).not.toBe(b);
  });
});

describe('a batch: /v1/batch', () => {
  const track = (n: number, extra: Record<string, unknown> = {}) => ({ type: 'track', userId: `u${n}`, event: 'x', messageId: `m${n}`, ...extra });

  it('applies the batch sentAt and context to every message; a message\'s own wins', () => {
    const out = events(collectBatch({
      batch: [track(1, { timestamp: iso(RECEIVED - 10_000) }), track(2, { timestamp: iso(RECEIVED - 10_000), sentAt: iso(RECEIVED - 9_000), context: { ip: '10.0.0.2' } })],
      sentAt: iso(RECEIVED - 3_000), context: { ip: '10.0.0.1', app: 'shop' }, writeKey: 'k',
    }, arrival));
    expect(out.map((e) => e.timestamp)).toEqual([iso(RECEIVED - 7_000), iso(RECEIVED - 1_000)]);
    expect(out.map((e) => e.context)).toEqual([{ ip: '10.0.0.1', app: 'shop', source: 'web' }, { ip: '10.0.0.2', app: 'shop', source: 'web' }]);
  });

  it('refuses the whole batch for one invalid message, naming its index and field', () => {
    const refused = reason(collectBatch({ batch: [track(0), track(1), { ...track(2), timestamp: 'yesterday' }, track(3)] }, arrival));
    expect(refused).toBe('batch[2].timestamp: expected an ISO-8601 date-time, got "yesterday"');
    expect(reason(collectBatch({ batch: [track(0), { ...track(1), type: 'pageview' }] }, arrival))).toBe('batch[1].type: expected one of track, identify, alias, page, screen, group, got "pageview"');
    expect(reason(collectBatch({ batch: [track(0), { ...track(1), properties: 'big' }] }, arrival))).toMatch(/^batch\[1\]\.properties: /);
    expect(reason(collectBatch({ batch: [track(0), { ...track(1), colour: 'red' }] }, arrival))).toMatch(/^batch\[1\]: Unrecognized key.*colour/);
  });

  it('refuses a message over 32 KB, and names at most five bad messages', () => {
    const big = track(1, { properties: { blob: 'x'.repeat(MAX_MESSAGE_BYTES) } });
    expect(reason(collectBatch({ batch: [track(0), big] }, arrival))).toMatch(/^batch\[1\]: message is \d+ bytes; the limit is 32768 bytes/);
    const many = reason(collectBatch({ batch: Array.from({ length: 8 }, () => ({ type: 'track' })) }, arrival));
    expect(many).toContain('batch[4].');
    expect(many).not.toContain('batch[5].');
    expect(many).toMatch(/and 3 more invalid message\(s\)$/);
  });

  it('needs an array called batch', () => {
    expect(reason(collectBatch({ events: [] }, arrival))).toBe('batch: expected an array of messages');
    expect(reason(collectBatch({ batch: [], sentAt: 'now' }, arrival))).toMatch(/^sentAt: expected an ISO-8601/);
    expect(events(collectBatch({ batch: [] }, arrival))).toEqual([]);
  });
});
