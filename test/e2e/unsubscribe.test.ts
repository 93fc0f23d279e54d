/**
 * The inbound service on a real NATS server: a signed one-click unsubscribe publishes exactly one
 * `unsubscribed` event to the user's partition (a repeat is a JetStream duplicate), a forged link gets
 * 403 and publishes nothing, Twilio's inbound STOP opts the number's owner out of SMS, and status
 * callbacks land on the send ledger — Twilio requests only with a valid X-Twilio-Signature.
 * Links and signatures use a public URL that differs from the listening address, as behind a proxy.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioInbound } from '../../connectors/sms/twilio/twilio.inbound';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { freePort } from '../../dev/servers/process';
import { PERSON_HEADER, RAW_STREAM, RAW_SUBJECT } from '../../engine/events/subjects';
import { startInboundServer, type InboundServer } from '../../engine/inbound/inbound-server';
import { PhoneDirectory } from '../../engine/inbound/phone-directory';
import { createUnsubscribeToken, unsubscribeHeaders } from '../../engine/inbound/unsubscribe-links';
import { createLogger } from '../../platform/logger';
import { ensureStreams, openBucket, SENDS_BUCKET } from '../../platform/nats/setup';
import { SendLedger } from '../../workflows/activities/send-ledger';

const PARTITIONS = 4;
const SECRET = 'e2e-unsubscribe-secret-0123456789';
const TWILIO_TOKEN = 'e2e-twilio-auth-token';
const PUBLIC_URL = 'https://hooks.example.test';
const link = { baseUrl: PUBLIC_URL, mailto: 'unsubscribe@example.test', secret: SECRET };

let nats: NatsServerHandle;
let nc: NatsConnection;
let server: InboundServer;
let phones: PhoneDirectory;
let ledger: SendLedger;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: 60_000 });
  phones = await PhoneDirectory.open(nc, 'US');
  ledger = new SendLedger(await openBucket(nc, SENDS_BUCKET));
  server = await startInboundServer({
    port: await freePort(),
    nc,
    partitions: PARTITIONS,
    secret: SECRET,
    publicBaseUrl: PUBLIC_URL,
    providerWebhooks: [twilioInbound({ authToken: TWILIO_TOKEN })],
    phoneDirectory: phones,
    ledger,
    log: createLogger('inbound-test', 'silent'),
  });
});
afterAll(async () => {
  await server?.stop();
  await nc?.close();
  await nats?.stop();
});

interface StoredEvent {
  subject: string;
  /** The person the event is for (inbound events name the person; the resolver routes them without linking). */
  person: string;
  event: { type: string; event: string; userId: string; messageId: string; timestamp: string; properties: Record<string, unknown> };
}

async function storedEvents(userId?: string): Promise<StoredEvent[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(RAW_STREAM);
  const events: StoredEvent[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(RAW_STREAM, { seq });
    if (message) events.push({ subject: message.subject, person: message.header.get(PERSON_HEADER), event: message.json() });
  }
  return userId ? events.filter((e) => e.event.userId === userId) : events;
}

/** The token of the https link in a List-Unsubscribe header, as a mail client would find it. */
function tokenFromHeaders(userId: string, topic: string): string {
  const header = unsubscribeHeaders({ userId, topic }, link)['List-Unsubscribe'];
  const url = /<(https:[^>]+)>/.exec(header)![1]!;
  expect(url.startsWith(`${PUBLIC_URL}/u/`)).toBe(true);
  return url.slice(`${PUBLIC_URL}/u/`.length);
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const oneClick = (token: string) => fetch(`${server.url}/u/${token}`, form({ 'List-Unsubscribe': 'One-Click' }));

/** A Twilio webhook as Twilio sends it: signed over the public URL and the form fields. */
function twilioPost(path: string, fields: Record<string, string>, signature = twilio.getExpectedTwilioSignature(TWILIO_TOKEN, PUBLIC_URL + path, fields)) {
  const request = form(fields);
  return fetch(`${server.url}${path}`, { ...request, headers: { ...request.headers, 'X-Twilio-Signature': signature } });
}

describe('one-click unsubscribe (RFC 8058)', () => {
  it('publishes one unsubscribed event to the user\'s partition; a second click is a duplicate', async () => {
    const token = tokenFromHeaders('alice', 'promotions');
    const first = await oneClick(token);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('unsubscribed');

    const events = await storedEvents('alice');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ subject: RAW_SUBJECT, person: 'alice' });
    expect(events[0]!.event).toMatchObject({
      type: 'track',
      event: 'unsubscribed',
      userId: 'alice',
      properties: { channel: 'email', topic: 'promotions', source: 'one-click' },
    });
    expect(events[0]!.event.messageId).toMatch(/^unsub-[0-9a-f]{40}$/);
    expect(Date.now() - Date.parse(events[0]!.event.timestamp)).toBeLessThan(60_000);

    expect((await oneClick(token)).status).toBe(200);
    expect((await fetch(`${server.url}/u/${token}`, form({ confirm: 'unsubscribe' }))).status).toBe(200);
    expect(await storedEvents('alice')).toHaveLength(1);
  });

  it('accepts the one-click POST as multipart/form-data too', async () => {
    const body = new FormData();
    body.set('List-Unsubscribe', 'One-Click');
    const response = await fetch(`${server.url}/u/${tokenFromHeaders('erin', 'news')}`, { method: 'POST', body });
    expect(response.status).toBe(200);
    expect((await storedEvents('erin')).map((e) => e.event.properties)).toEqual([{ channel: 'email', topic: 'news', source: 'one-click' }]);
  });

  it('answers a forged or tampered link with 403 and publishes nothing', async () => {
    const before = (await storedEvents()).length;
    const token = tokenFromHeaders('dave', 'promotions');
    const [, signature] = token.split('.');
    const otherUser = Buffer.from(JSON.stringify({ userId: 'mallory', channel: 'email', topic: 'promotions' })).toString('base64url');
    const forgeries = [
      `${otherUser}.${signature}`,
      createUnsubscribeToken({ userId: 'dave', channel: 'email', topic: 'promotions' }, 'a-different-secret-0123456789'),
      token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA'),
      'not-a-token',
    ];
    for (const forged of forgeries) {
      const response = await oneClick(forged);
      expect(response.status, forged).toBe(403);
      expect(await response.text()).toContain('not valid');
      expect((await fetch(`${server.url}/u/${forged}`)).status).toBe(403);
    }
    expect(await storedEvents()).toHaveLength(before);
  });

  it('refuses a valid link without the one-click body (400) or with another content type (415)', async () => {
    const token = tokenFromHeaders('frank', 'promotions');
    const empty = await fetch(`${server.url}/u/${token}`, form({}));
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('List-Unsubscribe=One-Click');
    const json = await fetch(`${server.url}/u/${token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    expect((await fetch(`${server.url}/u/${token}`, { method: 'DELETE' })).status).toBe(405);
    expect(await storedEvents('frank')).toHaveLength(0);
  });
});

describe('landing page', () => {
  it('shows the topic and a confirm button without unsubscribing; the button does', async () => {
    const token = tokenFromHeaders('bob', 'weekly <deals>');
    const page = await fetch(`${server.url}/u/${token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).toContain('weekly &lt;deals&gt;');
    expect(html).toMatch(/<form method="post">[\s\S]*name="confirm" value="unsubscribe"[\s\S]*<button/);
    expect(await storedEvents('bob')).toHaveLength(0);

    const confirmed = await fetch(`${server.url}/u/${token}`, form({ confirm: 'unsubscribe' }));
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('You are unsubscribed');
    expect((await storedEvents('bob')).map((e) => e.event.properties)).toEqual([{ channel: 'email', topic: 'weekly <deals>', source: 'landing-page' }]);
  });
});

describe('Twilio inbound STOP', () => {
  const inbound = (from: string, body: string) => ({
    From: from, To: '+15005550006', Body: body, MessageSid: `SM${'1'.repeat(32)}`, AccountSid: `AC${'0'.repeat(32)}`, NumSegments: '1',
  });

  it('opts the number\'s owner out of SMS and answers with empty TwiML', async () => {
    expect(await phones.set('(415) 555-0123', 'carol')).toBe('+14155550123');
    const response = await twilioPost('/twilio/inbound', inbound('+14155550123', ' Stop '));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/xml');
    expect(await response.text()).toContain('<Response/>');

    const events = await storedEvents('carol');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ subject: RAW_SUBJECT, person: 'carol' });
    expect(events[0]!.event).toMatchObject({ event: 'unsubscribed', properties: { channel: 'sms', topic: 'all', source: 'sms-stop' } });

    expect((await twilioPost('/twilio/inbound', inbound('+14155550123', 'STOP'))).status).toBe(200); // Twilio retry
    expect(await storedEvents('carol')).toHaveLength(1);
  });

  it('refuses a missing or wrong signature with 403 and publishes nothing', async () => {
    await phones.set('+14155550124', 'gina');
    const fields = inbound('+14155550124', 'STOP');
    const wrongToken = twilio.getExpectedTwilioSignature('another-token', `${PUBLIC_URL}/twilio/inbound`, fields);
    const wrongUrl = twilio.getExpectedTwilioSignature(TWILIO_TOKEN, `${server.url}/twilio/inbound`, fields);
    const tampered = twilio.getExpectedTwilioSignature(TWILIO_TOKEN, `${PUBLIC_URL}/twilio/inbound`, { ...fields, Body: 'hello' });
    for (const signature of [wrongToken, wrongUrl, tampered]) {
      const response = await twilioPost('/twilio/inbound', fields, signature);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('X-Twilio-Signature');
    }
    const unsigned = await fetch(`${server.url}/twilio/inbound`, form(fields));
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('missing X-Twilio-Signature');
    expect(await storedEvents('gina')).toHaveLength(0);
  });

  it('records nothing for other messages or numbers no user has', async () => {
    const before = (await storedEvents()).length;
    await phones.set('+14155550125', 'hank');
    expect((await twilioPost('/twilio/inbound', inbound('+14155550125', 'please stop'))).status).toBe(200);
    expect((await twilioPost('/twilio/inbound', inbound('+14155550199', 'STOP'))).status).toBe(200);
    await phones.remove('+1 415 555 0125');
    expect(await phones.lookup('+14155550125')).toBeNull();
    expect((await twilioPost('/twilio/inbound', inbound('+14155550125', 'STOP'))).status).toBe(200);
    expect(await storedEvents()).toHaveLength(before);
  });
});

describe('Twilio status callbacks', () => {
  async function recordedSend(journeyId: string, sid: string) {
    const base = { status: 'pending' as const, channel: 'sms', journeyId, stepId: 'coupon-sms', at: new Date().toISOString(), to: '+14155550100' };
    const revision = (await ledger.claim(base))!;
    await ledger.settle({ ...base, status: 'sent', providerMessageId: sid, details: { channel: 'sms' } }, revision);
    await ledger.recordProviderId(sid, journeyId, 'coupon-sms');
  }
  const status = (sid: string, messageStatus: string, extra: Record<string, string> = {}) =>
    twilioPost('/twilio/status', { MessageSid: sid, MessageStatus: messageStatus, AccountSid: `AC${'0'.repeat(32)}`, ...extra });

  it('stores the delivery status on the send\'s ledger record, never going backwards', async () => {
    const sid = `SM${'a'.repeat(32)}`;
    await recordedSend('journey/pricing/alice/m1', sid);
    expect(await (await status(sid, 'sent')).text()).toContain('updated');
    expect((await ledger.get('journey/pricing/alice/m1', 'coupon-sms'))!.record.delivery).toMatchObject({ status: 'sent' });

    expect((await status(sid, 'delivered')).status).toBe(200);
    expect(await (await status(sid, 'sent')).text()).toContain('a later or final status is already recorded');
    const { record } = (await ledger.get('journey/pricing/alice/m1', 'coupon-sms'))!;
    expect(record).toMatchObject({ status: 'sent', providerMessageId: sid, delivery: { status: 'delivered' } });
    expect(Date.parse(record.delivery!.at)).not.toBeNaN();
  });

  it('keeps the error code of an undelivered message', async () => {
    const sid = `SM${'b'.repeat(32)}`;
    await recordedSend('journey/pricing/bob/m2', sid);
    expect((await status(sid, 'undelivered', { ErrorCode: '30003' })).status).toBe(200);
    expect((await ledger.get('journey/pricing/bob/m2', 'coupon-sms'))!.record.delivery).toMatchObject({ status: 'undelivered', errorCode: '30003' });
  });

  it('refuses bad signatures (403) and malformed callbacks (400); unknown messages change nothing', async () => {
    const sid = `SM${'c'.repeat(32)}`;
    await recordedSend('journey/pricing/carol/m3', sid);
    expect((await twilioPost('/twilio/status', { MessageSid: sid, MessageStatus: 'delivered' }, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(403);
    const missing = await twilioPost('/twilio/status', { MessageSid: sid });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('MessageStatus');
    expect((await ledger.get('journey/pricing/carol/m3', 'coupon-sms'))!.record.delivery).toBeUndefined();

    const unknown = await status(`SM${'d'.repeat(32)}`, 'delivered');
    expect(unknown.status).toBe(200);
    expect(await unknown.text()).toContain('no send is recorded');
  });
});

describe('routes', () => {
  it('answers /healthz, 404 for unknown routes and 405 for wrong methods', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok\n');
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('no route for GET /nope');
    expect((await fetch(`${server.url}/u/a/b`)).status).toBe(404);
    expect((await fetch(`${server.url}/twilio/status`)).status).toBe(405);
  });
});
