/**
 * The HTTP SMS API's webhooks, POSTed as JSON to nudge's inbound service:
 *   /http-sms/status   {"id": "<message id>", "status": "queued|sending|sent|delivered|undelivered|failed", "errorCode"?: "…",
 *                       "reference"?: "<the send's reference, echoed>"}
 *   /http-sms/inbound  {"from": "+14155550100", "body": "STOP"}
 * each with `X-Sms-Timestamp: <unix seconds>` and `X-Sms-Signature: sha256=<hex HMAC-SHA256(secret,
 * "<timestamp>.<body>")>` (shared/payload-signature.ts); a signature older than five minutes is
 * refused, so a captured request cannot be replayed later.
 */
import { z } from 'zod';
import { parseConfig, type Env } from '../../config';
import { InboundRequestError, requireMediaType, type InboundRequest, type ProviderInbound, type SmsNotice } from '../../inbound';
import { signPayload, verifyPayloadSignature } from '../../../shared/payload-signature';
import { httpSmsInboundConfigSchema, inboundFromEnv, type HttpSmsInboundConfig } from './http-sms.config';

export const TIMESTAMP_HEADER = 'x-sms-timestamp';
export const SIGNATURE_HEADER = 'x-sms-signature';
const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The provider's delivery words are the ledger's (connectors/inbound.ts), so they pass through unchanged. */
const statusReportSchema = z.object({
  id: z.string().min(1).max(128),
  status: z.enum(['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed']),
  errorCode: z.string().regex(/^[\w.-]{1,32}$/).optional(),
  reference: z.string().min(1).max(4096).optional(),
});

const inboundMessageSchema = z.object({
  from: z.string().min(1).max(64),
  body: z.string().max(1600),
});

/** The headers a sender of these webhooks (the provider, or its fake) attaches to `body`. */
export function signedWebhookHeaders(secret: string, body: string, now: Date = new Date()): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return { 'Content-Type': 'application/json', 'X-Sms-Timestamp': String(timestamp), 'X-Sms-Signature': signPayload(secret, timestamp, body) };
}

export function httpSmsInbound(config: HttpSmsInboundConfig): ProviderInbound<SmsNotice> {
  const { webhookSecret } = parseConfig('sms/http', httpSmsInboundConfigSchema, config);
  const verifiedJson = <Schema extends z.ZodType>(request: InboundRequest, schema: Schema): z.output<Schema> => {
    if (!webhookSecret) throw new InboundRequestError(503, 'HTTP SMS webhooks are not configured: set SMS_HTTP_WEBHOOK_SECRET');
    const timestamp = request.headers[TIMESTAMP_HEADER];
    const signature = request.headers[SIGNATURE_HEADER];
    if (!timestamp || !signature) throw new InboundRequestError(403, 'missing X-Sms-Timestamp or X-Sms-Signature header');
    const nowSeconds = Math.floor(request.now.getTime() / 1000);
    if (!verifyPayloadSignature(webhookSecret, timestamp, request.body, signature, SIGNATURE_TOLERANCE_SECONDS, nowSeconds)) {
      throw new InboundRequestError(403, `X-Sms-Signature does not match the body, or X-Sms-Timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s away (check SMS_HTTP_WEBHOOK_SECRET)`);
    }
    requireMediaType(request, 'application/json');
    const parsed = schema.safeParse(parseJson(request.body));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
      throw new InboundRequestError(400, `malformed ${request.url.split('?')[0]} report: ${problems.join('; ')}`);
    }
    return parsed.data;
  };

  return {
    provider: 'http',
    unconfigured: webhookSecret ? undefined : 'SMS_HTTP_WEBHOOK_SECRET is not set: HTTP SMS webhooks will be refused',
    routes: [
      {
        path: '/http-sms/status',
        read(request) {
          const { id, status, errorCode, reference } = verifiedJson(request, statusReportSchema);
          return { kind: 'delivery_status', providerMessageId: id, status, ...(errorCode ? { errorCode } : {}), ...(reference ? { deliveryRef: reference } : {}) };
        },
      },
      {
        path: '/http-sms/inbound',
        read(request) {
          const { from, body } = verifiedJson(request, inboundMessageSchema);
          return { kind: 'inbound_message', from, body };
        },
      },
    ],
  };
}

export async function httpSmsInboundFromEnv(env: Env): Promise<ProviderInbound<SmsNotice>> {
  return httpSmsInbound(inboundFromEnv(env));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
