/**
 * The inbound service serves whichever SMS provider is configured. Here it is the generic HTTP SMS API
 * (SMS_PROVIDER=http), chosen through the registry exactly as `nudge inbound` chooses it: a message
 * sent through its connector gets its delivery report onto the send's ledger record, a signed STOP from
 * a known number becomes an SMS unsubscribe, and an unsigned report changes nothing; a report echoing the
 * message ref the send carried becomes `sms_delivered`. (Twilio's routes run through the same service in
 * test/e2e/unsubscribe.test.ts and engagement.int.test.ts.)
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector, createInbound } from '../../connectors/registry';
import type { SmsConnector } from '../../connectors/channels';
import { startHttpSmsFake, type HttpSmsFake } from '../../connectors/sms/http/http-sms.fake';
import { signedWebhookHeaders } from '../../connectors/sms/http/http-sms.inbound';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { freePort } from '../../dev/servers/process';
import { createLogger } from '../../platform/logger';
import { ensureStreams } from '../../platform/nats/setup';
import { MemorySendLedger } from '../../workflows/activities/send-ledger';
import { RAW_STREAM } from '../events/subjects';
import { startInboundServer, type InboundServer } from './inbound-server';
import { PhoneDirectory } from './phone-directory';
import { createMessageRef } from './tracking-links';

const TOKEN = 'provider-routes-token';
const WEBHOOK_SECRET = 'provider-routes-webhook-secret';
const TRACKING_SECRET = 'provider-routes-tracking-secret';

let nats: NatsServerHandle;
let nc: NatsConnection;
let fake: HttpSmsFake;
let server: InboundServer;
let sms: SmsConnector;
let phones: PhoneDirectory;
const ledger = new MemorySendLedger();

beforeAll(async () => {
  [nats, fake] = await Promise.all([startNats(), startHttpSmsFake({ token: TOKEN, webhookSecret: WEBHOOK_SECRET })]);
  nc = await connect({ servers: nats.url });
  await ensureStreams(nc, { partitions: 2, duplicateWindowMs: 60_000 });
  phones = await PhoneDirectory.open(nc, 'US');
  const env = { SMS_PROVIDER: 'http', SMS_HTTP_URL: fake.apiUrl, SMS_HTTP_TOKEN: TOKEN, SMS_HTTP_FROM: '+15005550006', SMS_HTTP_WEBHOOK_SECRET: WEBHOOK_SECRET };
  sms = await createConnector('sms', env, { nc });
  const webhooks = await createInbound('sms', env);
  server = await startInboundServer({
    port: await freePort(),
    nc,
    partitions: 2,
    secret: 'provider-routes-unsubscribe-secret',
    trackingSecret: TRACKING_SECRET,
    publicBaseUrl: 'https://hooks.example.test',
    phoneDirectory: phones,
    ledger,
    providerWebhooks: webhooks ? [webhooks] : [],
    log: createLogger('provider-routes-test', 'silent'),
  });
});

afterAll(async () => {
  await server?.stop();
  await nc?.close();
  await Promise.all([nats?.stop(), fake?.stop()]);
});

/** Sends through the connector and records the send as the send activity does. */
async function sentMessage(journeyId: string, deliveryRef?: string): Promise<string> {
  const { providerMessageId } = await sms.send({ to: '+14155550100', body: 'Your code SAVE10', idempotencyKey: `${journeyId}/sms`, ...(deliveryRef ? { deliveryRef } : {}) });
  const base = { status: 'pending' as const, channel: 'sms', journeyId, stepId: 'sms', at: new Date().toISOString(), to: '+14155550100' };
  const revision = (await ledger.claim(base))!;
  await ledger.settle({ ...base, status: 'sent', providerMessageId }, revision);
  await ledger.recordProviderId(providerMessageId, journeyId, 'sms');
  return providerMessageId;
}

const deliveryOf = async (journeyId: string) => (await ledger.get(journeyId, 'sms'))!.record.delivery;

async function rawEvents(): Promise<{ userId: string; event: string; properties: unknown }[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(RAW_STREAM);
  const events = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) events.push((await jsm.streams.getMessage(RAW_STREAM, { seq }))!.json<{ userId: string; event: string; properties: unknown }>());
  return events;
}

describe('the configured SMS provider\'s webhooks (SMS_PROVIDER=http)', () => {
  it('stores a delivery report on the send\'s ledger record, never going backwards', async () => {
    const id = await sentMessage('journey/a');

    const delivered = await fake.reportStatus(`${server.url}/http-sms/status`, { id, status: 'delivered' });
    expect(delivered.status).toBe(200);
    expect(await delivered.text()).toBe('updated\n');
    expect(await deliveryOf('journey/a')).toMatchObject({ status: 'delivered' });

    expect(await (await fake.reportStatus(`${server.url}/http-sms/status`, { id, status: 'sent' })).text()).toContain('a later or final status is already recorded');
    expect(await deliveryOf('journey/a')).toMatchObject({ status: 'delivered' });
  });

  it('a report echoing the message ref is sms_delivered for its person; a forged ref is refused and changes nothing', async () => {
    const ref = createMessageRef({ ruleId: 'r', ruleVersion: 1, journeyId: 'journey/ref', stepId: 'sms', userId: 'ref-user', channel: 'sms' }, TRACKING_SECRET);
    const id = await sentMessage('journey/ref', ref);
    const { reference } = fake.messages().find((message) => message.id === id)!;

    expect((await fake.reportStatus(`${server.url}/http-sms/status`, { id, status: 'delivered', reference: reference! })).status).toBe(200);
    const forged = await fake.reportStatus(`${server.url}/http-sms/status`, { id, status: 'failed', reference: `${reference!.slice(0, -1)}${reference!.endsWith('A') ? 'B' : 'A'}` });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('not a message ref nudge signed');
    expect(await deliveryOf('journey/ref')).toMatchObject({ status: 'delivered' });
    expect((await rawEvents()).filter((event) => event.userId === 'ref-user')).toEqual([
      expect.objectContaining({ event: 'sms_delivered', properties: expect.objectContaining({ journeyId: 'journey/ref', status: 'delivered', providerMessageId: id }) }),
    ]);
  });

  it('refuses an unsigned or malformed report and changes nothing', async () => {
    const id = await sentMessage('journey/b');
    const body = JSON.stringify({ id, status: 'failed' });

    const unsigned = await fetch(`${server.url}/http-sms/status`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(unsigned.status).toBe(403);
    const malformed = await fake.reportStatus(`${server.url}/http-sms/status`, { id, status: 'exploded' });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('status');
    expect(await deliveryOf('journey/b')).toBeUndefined();
    expect((await fetch(`${server.url}/http-sms/status`)).status).toBe(405);
  });

  it('turns a signed STOP from a known number into one SMS unsubscribe', async () => {
    await phones.set('+14155550177', 'stop-user');
    const body = JSON.stringify({ from: '+14155550177', to: '+15005550006', body: ' stop ' });
    const post = () => fetch(`${server.url}/http-sms/inbound`, { method: 'POST', headers: signedWebhookHeaders(WEBHOOK_SECRET, body), body });

    const first = await post();
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('unsubscribed\n');
    expect((await post()).status).toBe(200); // a retried webhook is a JetStream duplicate

    expect((await rawEvents()).filter((event) => event.userId === 'stop-user')).toEqual([
      expect.objectContaining({ event: 'unsubscribed', properties: { channel: 'sms', topic: 'all', source: 'sms-stop' } }),
    ]);
  });
});
