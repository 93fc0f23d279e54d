/**
 * Configuration of the generic HTTP SMS provider (SMS_PROVIDER=http): any SMS API that takes
 *   POST <SMS_HTTP_URL>   Authorization: Bearer <SMS_HTTP_TOKEN>, Idempotency-Key: <journeyId>/<stepId>
 *                         {"to": "+14155550100", "from": "<SMS_HTTP_FROM>", "body": "…"}
 *   -> 2xx {"id": "<message id>"}; errors as {"error": {"message": "…"}} or {"message": "…"}
 * and reports deliveries and replies to nudge's inbound service, signed with SMS_HTTP_WEBHOOK_SECRET
 * (http-sms.inbound.ts). One zod schema each for the connector and the webhooks.
 */
import { z } from 'zod';
import { DEFAULT_PHONE_REGION, PhoneRegionSchema } from '../../../shared/phone';
import { envNumber, envString, parseConfig, type Env } from '../../config';
import { E164_PATTERN, smsRegionFromEnv } from '../recipient';

export const httpSmsConfigSchema = z.object({
  apiUrl: z
    .url({ protocol: /^https?$/ })
    .describe('The messages endpoint messages are POSTed to. Example: "https://sms.example.com/v1/messages".'),
  token: z.string().min(1).describe('Bearer token sent as `Authorization: Bearer <token>`.'),
  from: z.string().regex(E164_PATTERN, 'expected an E.164 number, e.g. "+14155550100"').describe('Sender number in E.164.'),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Milliseconds to wait for the API to answer; a send without an answer by then is recorded `unknown`, never retried. Default 10000.'),
  defaultCountry: PhoneRegionSchema.default(DEFAULT_PHONE_REGION),
});

export type HttpSmsConfigInput = z.input<typeof httpSmsConfigSchema>;
export type HttpSmsConfig = z.output<typeof httpSmsConfigSchema>;

const envNames = {
  apiUrl: 'SMS_HTTP_URL',
  token: 'SMS_HTTP_TOKEN',
  from: 'SMS_HTTP_FROM',
  timeoutMs: 'SMS_HTTP_TIMEOUT_MS',
  defaultCountry: 'NUDGE_PHONE_REGION',
};

export function fromEnv(env: Env): HttpSmsConfig {
  const input = {
    apiUrl: envString(env.SMS_HTTP_URL),
    token: envString(env.SMS_HTTP_TOKEN),
    from: envString(env.SMS_HTTP_FROM),
    timeoutMs: envNumber(env.SMS_HTTP_TIMEOUT_MS),
    defaultCountry: smsRegionFromEnv(env, 'sms/http'),
  };
  return parseConfig('sms/http', httpSmsConfigSchema, input, envNames);
}

export const httpSmsInboundConfigSchema = z.object({
  webhookSecret: z
    .string()
    .min(16, 'expected at least 16 characters')
    .optional()
    .describe(
      'HMAC key of the X-Sms-Signature on delivery reports and replies (/http-sms/status, /http-sms/inbound). ' +
        'Unset: those routes answer 503, so a deployment without SMS still serves unsubscribe links.',
    ),
});

export type HttpSmsInboundConfig = z.output<typeof httpSmsInboundConfigSchema>;

export function inboundFromEnv(env: Env): HttpSmsInboundConfig {
  return parseConfig('sms/http', httpSmsInboundConfigSchema, { webhookSecret: envString(env.SMS_HTTP_WEBHOOK_SECRET) }, { webhookSecret: 'SMS_HTTP_WEBHOOK_SECRET' });
}
