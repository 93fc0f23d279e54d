/**
 * The engagement loop through the real inbound server on a real NATS: a tracked click redirects and is
 * one `email_clicked` on the raw stream, a forged link is 403 and publishes nothing; the fake Twilio
 * posts its signed status callback to the URL the connector gave it and that becomes `sms_delivered`
 * (or `sms_failed`); a signed bounce report is `email_bounced` plus an email unsubscribe.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioSmsConnector } from '../../connectors/sms/twilio/twilio.connector';
import { startTwilioFake, type TwilioFake } from '../../connectors/sms/twilio/twilio.fake';
import { twilioInbound } from '../../connectors/sms/twilio/twilio.inbound';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { freePort } from '../../dev/servers/process';
import { createLogger } from '../../platform/logger';
import { ensureStreams } from '../../platform/nats/setup';
import type { MessageRef } from '../../workflows/activities/link-tracking';
import { MemorySendLedger } from '../../workflows/activities/send-ledger';
import { RAW_STREAM } from '../events/subjects';
import { EMAIL_EVENTS_SIGNATURE_HEADER, emailEventsSignature } from './email-events';
import { InboundMetrics } from './inbound-metrics';
import { startInboundServer, type InboundServer } from './inbound-server';
import { PhoneDirectory } from './phone-directory';
import { messageTracking } from './tracking-links';

const TRACKING_SECRET = 'engagement-test-tracking-secret';
const EMAIL_SECRET = 'engagement-test-email-events-secret';
const AUTH_TOKEN = 'engagement-test-twilio-auth-token';
const ACCOUNT = `AC${'0'.repeat(32)}`;

let nats: NatsServerHandle;
let nc: NatsConnection;
let twilioFake: TwilioFake;
let server: InboundServer;
let base: string;
const ledger = new MemorySendLedger();
const metrics = new InboundMetrics();

beforeAll(async () => {
  [nats, twilioFake] = await Promise.all([startNats(), startTwilioFake()]);
  nc = await connect({ servers: nats.url });
  await ensureStreams(nc, { partitions: 2, duplicateWindowMs: 60_000 });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`; // the public URL is the server itself: Twilio's signature covers it
  server = await startInboundServer({
    port,
    nc,
    partitions: 2,
    secret: 'engagement-test-unsubscribe-secret',
    trackingSecret: TRACKING_SECRET,
    emailEventsSecret: EMAIL_SECRET,
    publicBaseUrl: base,
    phoneDirectory: await PhoneDirectory.open(nc, 'US'),
    ledger,
    metrics,
    providerWebhooks: [twilioInbound({ authToken: AUTH_TOKEN })],
    log: createLogger('engagement-test', 'silent'),
  });
});

afterAll(async () => {
  await server?.stop();
  await nc?.close();
  await Promise.all([nats?.stop(), twilioFake?.stop()]);
});

interface RawEvent {
  userId: string;
  event: string;
  properties: Record<string, unknown>;
}

async function eventsOf(userId: string): Promise<RawEvent[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(RAW_STREAM);
  const events: RawEvent[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) events.push((await jsm.streams.getMessage(RAW_STREAM, { seq }))!.json<RawEvent>());
  return events.filter((event) => event.userId === userId);
}

const tracking = () => messageTracking({ baseUrl: base, secret: TRACKING_SECRET });
const messageOf = (userId: string, channel: 'email' | 'sms'): MessageRef => ({ ruleId: 'promo', ruleVersion: 2, journeyId: `journey/promo/${userId}/m1`, stepId: channel, userId, channel });
const click = (url: string, method = 'GET') => fetch(url, { method, redirect: 'manual' });

describe('tracked clicks', () => {
  it('redirect to the target and are one email_clicked each; a repeat within the duplicate window is the same click', async () => {
    const message = messageOf('clicker', 'email');
    const link = tracking().clickUrl(message, 0, 'https://shop.test/cart?sku=A1&x=ü')!;

    const first = await click(link);
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('https://shop.test/cart?sku=A1&x=%C3%BC');
    expect(first.headers.get('cache-control')).toContain('no-store');
    expect((await click(link)).status).toBe(302);
    expect((await click(link, 'HEAD')).status).toBe(302); // link checkers: no event

    expect(await eventsOf('clicker')).toEqual([
      expect.objectContaining({ userId: 'clicker', event: 'email_clicked', properties: { ruleId: 'promo', ruleVersion: 2, journeyId: 'journey/promo/clicker/m1', stepId: 'email', channel: 'email', url: 'https://shop.test/cart?sku=A1&x=ü', linkIndex: 0 } }),
    ]);

    expect((await click(tracking().clickUrl(message, 1, 'https://shop.test/other')!)).status).toBe(302);
    expect((await eventsOf('clicker')).map((event) => event.properties.linkIndex)).toEqual([0, 1]);
  });

  it('a forged or edited link gets 403 and publishes nothing; the server goes on serving', async () => {
    const link = tracking().clickUrl(messageOf('forger', 'sms'), 0, 'https://shop.test/')!;
    const [payload, signature] = link.split('/c/')[1]!.split('.') as [string, string];
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), u: 'https://evil.test/' })).toString('base64url');

    const forged = await click(`${base}/c/${edited}.${signature}`);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('signature does not match');
    expect((await click(`${base}/c/garbage`)).status).toBe(403);
    expect((await fetch(link, { method: 'POST' })).status).toBe(405);
    expect(await eventsOf('forger')).toEqual([]);

    expect((await click(link)).status).toBe(302);
    expect((await eventsOf('forger')).map((event) => event.event)).toEqual(['sms_clicked']);
  });

  it('the open pixel is a GIF and one email_opened', async () => {
    const pixel = await fetch(tracking().openPixelUrl(messageOf('opener', 'email')));
    expect(pixel.status).toBe(200);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
    const gif = Buffer.from(await pixel.arrayBuffer());
    expect([gif.subarray(0, 6).toString('latin1'), gif.at(-1)]).toEqual(['GIF89a', 0x3b]);
    expect((await fetch(`${base}/o/forged.token`)).status).toBe(403);
    expect((await eventsOf('opener')).map((event) => event.event)).toEqual(['email_opened']);
  });
});

describe('Twilio status callbacks', () => {
  const connector = () => new TwilioSmsConnector({ accountSid: ACCOUNT, authToken: AUTH_TOKEN, from: '+15005550006', apiBaseUrl: twilioFake.url, statusCallbackUrl: `${base}/twilio/status` });

  /** Sends as the send activity does: through the connector with the message's ref, then the ledger record. */
  async function sendSms(userId: string, deliveryRef = tracking().messageRef(messageOf(userId, 'sms'))): Promise<string> {
    const { providerMessageId } = await connector().send({ to: '+14155550100', body: 'Your code', idempotencyKey: `journey/promo/${userId}/m1/sms`, deliveryRef });
    const record = { status: 'pending' as const, channel: 'sms', journeyId: `journey/promo/${userId}/m1`, stepId: 'sms', at: new Date().toISOString(), to: '+14155550100' };
    const revision = (await ledger.claim(record))!;
    await ledger.settle({ ...record, status: 'sent', providerMessageId }, revision);
    await ledger.recordProviderId(providerMessageId, record.journeyId, 'sms');
    return providerMessageId;
  }

  it('the fake posts a signed callback to the URL it was given, and it becomes sms_delivered', async () => {
    const sid = await sendSms('texted');
    expect(twilioFake.messages().find((message) => message.sid === sid)!.statusCallback).toMatch(new RegExp(`^${base}/twilio/status\\?ref=`));
    const delivered = await twilioFake.waitForCallback((callback) => callback.sid === sid && callback.status === 'delivered', 10_000);
    expect(delivered.answer).toBe(200);
    const events = await eventsOf('texted');
    expect(events).toEqual([expect.objectContaining({ event: 'sms_delivered', properties: { ruleId: 'promo', ruleVersion: 2, journeyId: 'journey/promo/texted/m1', stepId: 'sms', channel: 'sms', status: 'delivered', providerMessageId: sid } })]);
    expect((await ledger.get('journey/promo/texted/m1', 'sms'))!.record.delivery).toMatchObject({ status: 'delivered' });
  });

  it('an undelivered report is sms_failed with the error code', async () => {
    twilioFake.failDelivery('undelivered', 30003);
    const sid = await sendSms('unreachable');
    expect((await twilioFake.waitForCallback((callback) => callback.sid === sid && callback.status === 'undelivered', 10_000)).answer).toBe(200);
    expect(await eventsOf('unreachable')).toEqual([expect.objectContaining({ event: 'sms_failed', properties: expect.objectContaining({ status: 'undelivered', errorCode: '30003' }) })]);
  });

  it('a validly signed callback whose message ref nudge did not sign is refused', async () => {
    const sid = await sendSms('tampered', 'eyJrIjoibSJ9.bm90LWEtc2lnbmF0dXJl');
    expect((await twilioFake.waitForCallback((callback) => callback.sid === sid && callback.status === 'delivered', 10_000)).answer).toBe(403);
    expect(await eventsOf('tampered')).toEqual([]);
  });
});

describe('POST /email/events', () => {
  const post = (body: string, headers: Record<string, string> = { [EMAIL_EVENTS_SIGNATURE_HEADER]: emailEventsSignature(EMAIL_SECRET, body, new Date()) }) =>
    fetch(`${base}/email/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

  it('a hard bounce is email_bounced and unsubscribes the person from email; a bad item is reported without stopping the others', async () => {
    const ref = tracking().messageRef(messageOf('bounced', 'email'));
    const body = JSON.stringify({ events: [{ type: 'bounce', ref, bounceType: 'hard', reason: '550 5.1.1 user unknown', id: 'evt-1' }, { type: 'bounce', ref: 'forged.ref' }, { type: 'exploded', ref }] });
    const answer = await post(body);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      results: [
        { index: 0, outcome: 'published' },
        { index: 1, outcome: 'invalid', reason: expect.stringContaining('events.1.ref') },
        { index: 2, outcome: 'invalid', reason: expect.stringContaining('events.2.type') },
      ],
    });
    expect((await eventsOf('bounced')).map(({ event, properties }) => [event, properties.bounceType ?? properties.source])).toEqual([
      ['email_bounced', 'hard'],
      ['unsubscribed', 'hard_bounce'],
    ]);
    expect(await (await post(body)).json()).toMatchObject({ results: [{ index: 0, outcome: 'duplicate' }, {}, {}] }); // a retried webhook
  });

  it('refuses unsigned, stale, non-JSON and malformed requests with the reason', async () => {
    const body = JSON.stringify({ events: [{ type: 'complaint', ref: tracking().messageRef(messageOf('complainer', 'email')) }] });
    expect((await post(body, {})).status).toBe(403);
    const stale = await post(body, { [EMAIL_EVENTS_SIGNATURE_HEADER]: emailEventsSignature(EMAIL_SECRET, body, new Date(Date.now() - 3_600_000)) });
    expect([stale.status, await stale.text()]).toEqual([403, expect.stringContaining('more than 300 s')]);
    expect((await fetch(`${base}/email/events`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body })).status).toBe(415);
    const notJson = await post('{"events": [');
    expect([notJson.status, await notJson.text()]).toEqual([400, expect.stringContaining('not valid JSON')]);
    const empty = await post('{"events": []}');
    expect([empty.status, await empty.text()]).toEqual([400, expect.stringContaining('events')]);
    expect(await eventsOf('complainer')).toEqual([]);
    expect(await (await post(body)).json()).toEqual({ results: [{ index: 0, outcome: 'published' }] });
    expect((await eventsOf('complainer')).map((event) => event.event)).toEqual(['email_complained', 'unsubscribed']);
  });

  it('counts engagements and refusals', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/nudge_inbound_engagements_total\{event="email_clicked",result="published"\} 2/);
    expect(text).toMatch(/nudge_inbound_engagements_total\{event="sms_delivered",result="published"\} 1/);
    expect(text).toMatch(/nudge_inbound_refused_total\{route="click",status="403"\} 2/);
  });
});
