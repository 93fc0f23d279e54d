/**
 * Configuration of Twilio: the connector's (one zod schema, read from the environment by `fromEnv`) and
 * the inbound webhooks' (`twilioInboundConfigSchema`, read by `inboundFromEnv`).
 */
import { z } from 'zod';
import { DEFAULT_PHONE_REGION, PhoneRegionSchema } from '../../../shared/phone';
import { envString, parseConfig, type Env } from '../../config';
import { E164_PATTERN, smsRegionFromEnv } from '../recipient';

export const twilioConfigSchema = z.object({
  accountSid: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'expected "AC" followed by 32 hex digits')
    .describe('Twilio Account SID. Example: "AC0123456789abcdef0123456789abcdef".'),
  authToken: z.string().min(1).describe('Twilio auth token (or API key secret) for HTTP Basic auth.'),
  from: z.string().regex(E164_PATTERN, 'expected an E.164 number, e.g. "+14155550100"').describe('Sender number in E.164.'),
  apiBaseUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'Send API requests here instead of https://*.twilio.com, e.g. an egress proxy or a local fake. ' +
        'The request path is kept: "http://127.0.0.1:8080/twilio" + "/2010-04-01/Accounts/…".',
    ),
  defaultCountry: PhoneRegionSchema.default(DEFAULT_PHONE_REGION),
  statusCallbackUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'StatusCallback URL sent with every message, where Twilio reports delivery (`nudge inbound` serves /twilio/status). ' +
        'TWILIO_STATUS_CALLBACK_URL, else NUDGE_PUBLIC_URL + "/twilio/status" when NUDGE_PUBLIC_URL is set; absent: Twilio reports nothing back.',
    ),
});

export type TwilioConfigInput = z.input<typeof twilioConfigSchema>;
export type TwilioConfig = z.output<typeof twilioConfigSchema>;

const envNames = {
  accountSid: 'TWILIO_ACCOUNT_SID',
  authToken: 'TWILIO_AUTH_TOKEN',
  from: 'TWILIO_FROM',
  apiBaseUrl: 'TWILIO_API_BASE',
  defaultCountry: 'NUDGE_PHONE_REGION',
  statusCallbackUrl: 'TWILIO_STATUS_CALLBACK_URL',
};

/** Where Twilio posts delivery reports: the explicit setting, else the inbound service's route under NUDGE_PUBLIC_URL. */
function statusCallbackUrlFromEnv(env: Env): string | undefined {
  const explicit = envString(env.TWILIO_STATUS_CALLBACK_URL);
  if (explicit) return explicit;
  const publicUrl = envString(env.NUDGE_PUBLIC_URL);
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}/twilio/status` : undefined;
}

/**
 * Placeholder credentials, used only when TWILIO_API_BASE points somewhere other than Twilio (the demo's
 * local fake): real Twilio credentials are always required when talking to Twilio itself.
 */
const devCredentials = {
  accountSid: 'AC00000000000000000000000000000000',
  authToken: 'nudge-dev-auth-token',
  from: '+15005550006',
};

export function fromEnv(env: Env): TwilioConfig {
  const apiBaseUrl = envString(env.TWILIO_API_BASE);
  const fallback = apiBaseUrl ? devCredentials : undefined;
  const input = {
    accountSid: envString(env.TWILIO_ACCOUNT_SID) ?? fallback?.accountSid,
    authToken: envString(env.TWILIO_AUTH_TOKEN) ?? fallback?.authToken,
    from: envString(env.TWILIO_FROM) ?? fallback?.from,
    apiBaseUrl,
    defaultCountry: smsRegionFromEnv(env, 'sms/twilio'),
    statusCallbackUrl: statusCallbackUrlFromEnv(env),
  };
  return parseConfig('sms/twilio', twilioConfigSchema, input, envNames);
}

export const twilioInboundConfigSchema = z.object({
  authToken: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Key of the X-Twilio-Signature on inbound webhooks (TWILIO_AUTH_TOKEN, the same token the connector sends with). ' +
        'Unset: /twilio/inbound and /twilio/status answer 503, so a deployment without SMS still serves unsubscribe links.',
    ),
});

export type TwilioInboundConfig = z.output<typeof twilioInboundConfigSchema>;

/** TWILIO_AUTH_TOKEN, else the connector's placeholder token when TWILIO_API_BASE points at a fake, else none. */
export function inboundFromEnv(env: Env): TwilioInboundConfig {
  const authToken = envString(env.TWILIO_AUTH_TOKEN) ?? (envString(env.TWILIO_API_BASE) ? devCredentials.authToken : undefined);
  return parseConfig('sms/twilio', twilioInboundConfigSchema, { authToken }, { authToken: 'TWILIO_AUTH_TOKEN' });
}

/** The auth token the demo's local fake and its signed webhooks use (TWILIO_API_BASE set, no TWILIO_AUTH_TOKEN). */
export const DEV_TWILIO_AUTH_TOKEN = devCredentials.authToken;
