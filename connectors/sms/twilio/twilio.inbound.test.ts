import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { InboundRequestError, type InboundRequest } from '../../inbound';
import { inboundFromEnv } from './twilio.config';
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

function refusal(read: () => unknown): InboundRequestError {
  try {
    read();
  } catch (error) {
    if (error instanceof InboundRequestError) return error;
    throw error;
  }
  return expect.fail('expected the request to be refused');
}

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

  it('reads a status callback into a delivery status in the ledger vocabulary', () => {
    const fields = { MessageSid: `SM${'a'.repeat(32)}`, MessageStatus: 'undelivered', ErrorCode: '30003' };

    expect(routeOf('/twilio/status').read(signedRequest('/twilio/status', fields))).toEqual({
      kind: 'delivery_status',
      providerMessageId: fields.MessageSid,
      status: 'undelivered',
      errorCode: '30003',
    });
  });

  it('signs over the public URL with its query, so a query the signature does not cover is refused', () => {
    const request = signedRequest('/twilio/status?attempt=1', { MessageSid: 'SM1', MessageStatus: 'sent' });

    expect(refusal(() => routeOf('/twilio/status').read({ ...request, publicUrl: `${PUBLIC}/twilio/status?attempt=2` })).status).toBe(403);
    expect(routeOf('/twilio/status').read(request)).toMatchObject({ status: 'sent' });
  });

  it.each([
    ['a missing signature', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 403, /missing X-Twilio-Signature/],
    ['a tampered body', { body: 'MessageSid=SM1&MessageStatus=delivered' }, 403, /does not match https:\/\/hooks\.example\.test\/twilio\/status/],
    ['a JSON body', { headers: { 'content-type': 'application/json', 'x-twilio-signature': 'x' } }, 415, /expected a application\/x-www-form-urlencoded body, got "application\/json"/],
  ])('refuses %s', (_what, overrides, status, message) => {
    const error = refusal(() => routeOf('/twilio/status').read(signedRequest('/twilio/status', { MessageSid: 'SM1', MessageStatus: 'sent' }, overrides)));

    expect(error.status).toBe(status);
    expect(error.message).toMatch(message);
  });

  it('refuses a signed callback with a missing or malformed field (400), naming it', () => {
    expect(refusal(() => routeOf('/twilio/status').read(signedRequest('/twilio/status', { MessageSid: 'SM1' }))).message).toBe('missing field MessageStatus');
    expect(refusal(() => routeOf('/twilio/status').read(signedRequest('/twilio/status', { MessageSid: 'SM1', MessageStatus: 'DELIVERED!' }))).message).toMatch(
      /field MessageStatus is malformed/,
    );
  });

  it('answers 503 without an auth token, and says so at start', () => {
    const inbound = twilioInbound({});

    expect(inbound.unconfigured).toMatch(/TWILIO_AUTH_TOKEN is not set/);
    expect(refusal(() => inbound.routes[0]!.read(signedRequest('/twilio/inbound', { From: '+1', Body: 'x' }))).status).toBe(503);
  });
});

describe('Twilio inbound config from the environment', () => {
  it('takes TWILIO_AUTH_TOKEN, else the placeholder of the local fake when TWILIO_API_BASE is set, else none', () => {
    expect(inboundFromEnv({ TWILIO_AUTH_TOKEN: ' tok ' })).toEqual({ authToken: 'tok' });
    expect(inboundFromEnv({ TWILIO_API_BASE: 'http://127.0.0.1:4010' })).toEqual({ authToken: 'nudge-dev-auth-token' });
    expect(inboundFromEnv({})).toEqual({});
  });
});
