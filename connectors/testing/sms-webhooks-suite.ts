/**
 * The contract of every SMS provider's webhooks (connectors/inbound.ts): a correctly signed delivery
 * report or reply reads as the provider-neutral notice; anything unsigned or altered is refused with
 * 403 before it is read; without its secret the provider refuses with 503 and says so at start. Pure:
 * the harness builds requests as the provider would send them, no server is involved.
 */
import { describe, expect, it } from 'vitest';
import { InboundRequestError, type InboundRequest, type ProviderInbound, type SmsNotice } from '../inbound';

export interface StatusReport {
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'undelivered' | 'failed';
  errorCode?: string;
}

export interface SmsWebhooksHarness {
  /** The webhooks configured with their secret. */
  inbound: ProviderInbound<SmsNotice>;
  /** The same provider's webhooks without their secret. */
  unconfigured: ProviderInbound<SmsNotice>;
  /** A delivery report as the provider sends it, signed. */
  statusReport(report: StatusReport): InboundRequest;
  /** A text someone sent to our number, as the provider forwards it, signed. */
  reply(from: string, body: string): InboundRequest;
}

/** Reads `request` with the route its path names, as the inbound service does. */
export function readWith(inbound: ProviderInbound<SmsNotice>, request: InboundRequest): SmsNotice {
  const path = request.url.split('?')[0];
  const route = inbound.routes.find((candidate) => candidate.path === path);
  if (!route) return expect.fail(`${inbound.provider} has no route for ${path} (routes: ${inbound.routes.map((r) => r.path).join(', ')})`);
  return route.read(request);
}

/** The InboundRequestError `read` throws, failing the test if it reads instead. */
export function refusalOf(read: () => unknown): InboundRequestError {
  try {
    read();
  } catch (error) {
    if (error instanceof InboundRequestError) return error;
    throw error;
  }
  return expect.fail('expected the request to be refused');
}

export function describeSmsWebhooks(name: string, setup: () => SmsWebhooksHarness): void {
  describe(`SMS webhooks contract: ${name}`, () => {
    const harness = setup();

    it.each<StatusReport>([
      { providerMessageId: 'SM0001', status: 'delivered' },
      { providerMessageId: 'SM0002', status: 'undelivered', errorCode: '30003' },
    ])('reads a signed delivery report ($status) with the id the send returned', (report) => {
      expect(readWith(harness.inbound, harness.statusReport(report))).toEqual({ kind: 'delivery_status', ...report });
    });

    it('reads a signed reply as an inbound message', () => {
      expect(readWith(harness.inbound, harness.reply('+14155550100', 'STOP'))).toEqual({ kind: 'inbound_message', from: '+14155550100', body: 'STOP' });
    });

    it('refuses an altered body with 403', () => {
      const request = harness.statusReport({ providerMessageId: 'SM0003', status: 'sent' });
      const altered = { ...request, body: request.body.replace('sent', 'failed') };

      expect(altered.body).not.toBe(request.body);
      expect(refusalOf(() => readWith(harness.inbound, altered)).status).toBe(403);
    });

    it('refuses a request without its signature with 403', () => {
      const request = harness.reply('+14155550100', 'STOP');
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([header]) => !/signature/i.test(header)));

      expect(refusalOf(() => readWith(harness.inbound, { ...request, headers })).status).toBe(403);
    });

    it('answers 503 without its secret and says so at start', () => {
      expect(harness.inbound.unconfigured).toBeUndefined();
      expect(harness.unconfigured.unconfigured).toEqual(expect.any(String));
      const error = refusalOf(() => readWith(harness.unconfigured, harness.statusReport({ providerMessageId: 'SM0004', status: 'sent' })));
      expect(error.status).toBe(503);
    });
  });
}
