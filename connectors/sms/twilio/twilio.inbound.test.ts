import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import type { InboundRequest } from '../../inbound';
import { describeSmsWebhooks, refusalOf as refusal } from '../../testing/connector-suite';
import { fromEnv, inboundFromEnv } from './twilio.config';
import { twilioInbound } from './twilio.inbound';

const TOKEN = 'twilio-inbound-test-token';
const PUBLIC = 'https://hooks.example.test';

function signedRequest(path: string, fields: Record<string, string>, overrides: Partial<InboundRequest> = {}): InboundRequest {
  const publicUrl = `${PUBLIC}${path}`;
  return {
    method: 'POST',
    url: path,
    publicUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, publicUrl, fields) },
    body: new URLSearchParams(fields).toString(),
    now: new Date(),
    ...overrides,
  };
}

const routeOf = (path: string, authToken: string | undefined = TOKEN) => twilioInbound({ authToken }).routes.find((route) => route.path === path)!;

describeSmsWebhooks('twilio', () => ({
  inbound: twilioInbound({ authToken: TOKEN }),
  unconfigured: twilioInbound({}),
  statusReport: ({ providerMessageId, status, errorCode }) =>
    signedRequest('/twilio/status', { MessageSid: providerMessageId, MessageStatus: status, AccountSid: `AC${'0'.repeat(32)}`, ...(errorCode ? { ErrorCode: errorCode } : {}) }),
  reply: (from, body) => signedRequest('/twilio/inbound', { From: from, Body: body, MessageSid: 'SM1' }),
}));

describe('Twilio webhooks', () => {
  it('reads an inbound message and answers with empty TwiML', () => {
    const route = routeOf('/twilio/inbound');

    expect(route.read(signedRequest('/twilio/inbound', { From: '+14155550100', Body: 'STOP', MessageSid: 'SM1' }))).toEqual({
      kind: 'inbound_message',
      from: '+14155550100',
      body: 'STOP',
    });
    expect(route.reply).toEqual({ contentType: 'text/xml; charset=utf-8', body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' });
  });

  it('signs over the public URL with its query, so a query the signature does not cover is refused', () => {
    const request = signedRequest('/twilio/status?attempt=1', { MessageSid: 'SM1', MessageStatus: 'sent' });

    expect(refusal(() => routeOf('/twilio/status').read({ ...request, publicUrl: `${PUBLIC}/twilio/status?attempt=2` })).status).toBe(403);
    expect(routeOf('/twilio/status').read(request)).toMatchObject({ status: 'sent' });
  });

  it.each([
    ['a tampered body', { body: 'MessageSid=SM1&MessageStatus=delivered' }, 403, /does not match https:\/\/hooks\.example\.test\/twilio\/status/],
    ['a JSON body', { headers: { 'content-type': 'application/json', 'x-twilio-signature': 'x' } }, 415, /expected a application\/x-www-form-urlencoded body, got "application\/json"/],
  ])('refuses %s', (_what, overrides, status, message) => {
    const error = refusal(() => routeOf('/twilio/status').read(signedRequest('/twilio/status', { MessageSid: 'SM1', MessageStatus: 'sent' }, overrides)));

    expect(error.status).toBe(status);
    expect(error.message).toMatch(message);
  });

  it('hands over the delivery ref of the StatusCallback URL the connector sent (covered by the signature)', () => {
    const request = signedRequest('/twilio/status?ref=abc.def', { MessageSid: 'SM1', MessageStatus: 'delivered' });
    expect(routeOf('/twilio/status').read(request)).toEqual({ kind: 'delivery_status', providerMessageId: 'SM1', status: 'delivered', deliveryRef: 'abc.def' });
    expect(refusal(() => routeOf('/twilio/status').read({ ...request, url: '/twilio/status?ref=other.ref', publicUrl: `${PUBLIC}/twilio/status?ref=other.ref` })).status).toBe(403);
    expect(routeOf('/twilio/status').read(signedRequest('/twilio/status', { MessageSid: 'SM1', MessageStatus: 'sent' }))).toMatchObject({ deliveryRef: undefined });
  });

  it('refuses a signed callback with a missing or malformed field (400), naming it', () => {
    expect(refusal(() => routeOf('/twilio/status').read(signedRequest('/twilio/status', { MessageSid: 'SM1' }))).message).toBe('missing field MessageStatus');
    expect(refusal(() => routeOf('/twilio/status').read(signedRequest('/twilio/status', { MessageSid: 'SM1', MessageStatus: 'DELIVERED!' }))).message).toMatch(
      /field MessageStatus is malformed/,
    );
  });
});

describe('Twilio StatusCallback from the environment', () => {
  const base = { TWILIO_API_BASE: 'http://127.0.0.1:4010' };
  it('is TWILIO_STATUS_CALLBACK_URL, else NUDGE_PUBLIC_URL/twilio/status, else none', () => {
    expect(fromEnv({ ...base, TWILIO_STATUS_CALLBACK_URL: 'https://hooks.example.test/sms/status' }).statusCallbackUrl).toBe('https://hooks.example.test/sms/status');
    expect(fromEnv({ ...base, NUDGE_PUBLIC_URL: 'https://hooks.example.test/' }).statusCallbackUrl).toBe('https://hooks.example.test/twilio/status');
    expect(fromEnv(base).statusCallbackUrl).toBeUndefined();
    expect(() => fromEnv({ ...base, TWILIO_STATUS_CALLBACK_URL: 'ftp://x' })).toThrow(/TWILIO_STATUS_CALLBACK_URL/);
  });
});

describe('Twilio inbound config from the environment', () => {
  it('takes TWILIO_AUTH_TOKEN, else the placeholder of the local fake when TWILIO_API_BASE is set, else none', () => {
    expect(inboundFromEnv({ TWILIO_AUTH_TOKEN: ' tok ' })).toEqual({ authToken: 'tok' });
    expect(inboundFromEnv({ TWILIO_API_BASE: 'http://127.0.0.1:4010' })).toEqual({ authToken: 'nudge-dev-auth-token' });
    expect(inboundFromEnv({})).toEqual({});
  });
});
