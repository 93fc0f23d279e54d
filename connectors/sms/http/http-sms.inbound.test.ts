import { describe, expect, it } from 'vitest';
import type { InboundRequest } from '../../inbound';
import { describeSmsWebhooks, refusalOf as refusal } from '../../testing/connector-suite';
import { inboundFromEnv } from './http-sms.config';
import { httpSmsInbound, signedWebhookHeaders } from './http-sms.inbound';

const SECRET = 'http-sms-webhook-secret-0123';
const NOW = new Date('2025-06-01T12:00:00Z');

function signedRequest(path: string, payload: unknown, { signedAt = NOW, secret = SECRET } = {}): InboundRequest {
  const body = JSON.stringify(payload);
  const headers = Object.fromEntries(Object.entries(signedWebhookHeaders(secret, body, signedAt)).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: 'POST', url: path, publicUrl: `https://hooks.example.test${path}`, headers, body, now: NOW };
}

const routeOf = (path: string, webhookSecret: string | undefined = SECRET) => httpSmsInbound({ webhookSecret }).routes.find((route) => route.path === path)!;

describeSmsWebhooks('http', () => ({
  inbound: httpSmsInbound({ webhookSecret: SECRET }),
  unconfigured: httpSmsInbound({}),
  statusReport: ({ providerMessageId, status, errorCode }) => signedRequest('/http-sms/status', { id: providerMessageId, status, ...(errorCode ? { errorCode } : {}) }),
  reply: (from, body) => signedRequest('/http-sms/inbound', { from, to: '+15005550006', body }),
}));

describe('HTTP SMS webhooks', () => {
  it.each([
    ['another secret', signedRequest('/http-sms/status', { id: 'm', status: 'sent' }, { secret: 'not-the-webhook-secret-000' })],
    ['a signature six minutes old', signedRequest('/http-sms/status', { id: 'm', status: 'sent' }, { signedAt: new Date(NOW.getTime() - 360_000) })],
  ])('refuses %s with 403', (_what, request) => {
    expect(refusal(() => routeOf('/http-sms/status').read(request)).status).toBe(403);
  });

  it('refuses a signed report it cannot read with 400, naming the field', () => {
    const error = refusal(() => routeOf('/http-sms/status').read(signedRequest('/http-sms/status', { id: 'm', status: 'teleported' })));

    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^malformed \/http-sms\/status report: status: /);
  });

  it('hands over the reference a status report echoes as the delivery ref', () => {
    expect(routeOf('/http-sms/status').read(signedRequest('/http-sms/status', { id: 'm', status: 'delivered', reference: 'signed.ref' }))).toEqual({
      kind: 'delivery_status', providerMessageId: 'm', status: 'delivered', deliveryRef: 'signed.ref',
    });
  });

  it('reads its secret from SMS_HTTP_WEBHOOK_SECRET and refuses a short one by name', () => {
    expect(inboundFromEnv({ SMS_HTTP_WEBHOOK_SECRET: SECRET })).toEqual({ webhookSecret: SECRET });
    expect(() => inboundFromEnv({ SMS_HTTP_WEBHOOK_SECRET: 'short' })).toThrow(/SMS_HTTP_WEBHOOK_SECRET: expected at least 16 characters/);
  });
});
