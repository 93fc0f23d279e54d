/** Configuration of the Twilio SMS connector: one zod schema, read from the environment by `fromEnv`. */
import { z } from 'zod';
import { DEFAULT_PHONE_REGION, phoneRegionFromEnv, PhoneRegionError, PhoneRegionSchema } from '../../../shared/phone';
import { envString, parseConfig, type Env } from '../../config';
import { ConnectorConfigError } from '../../errors';

const E164 = /^\+[1-9]\d{6,14}$/;

export const twilioConfigSchema = z.object({
  accountSid: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'expected "AC" followed by 32 hex digits')
    .describe('Twilio Account SID. Example: "AC0123456789abcdef0123456789abcdef".'),
  authToken: z.string().min(1).describe('Twilio auth token (or API key secret) for HTTP Basic auth.'),
  from: z.string().regex(E164, 'expected an E.164 number, e.g. "+14155550100"').describe('Sender number in E.164.'),
  apiBaseUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'Send API requests here instead of https://*.twilio.com, e.g. an egress proxy or a local fake. ' +
        'The request path is kept: "http://127.0.0.1:8080/twilio" + "/2010-04-01/Accounts/…".',
    ),
  defaultCountry: PhoneRegionSchema.default(DEFAULT_PHONE_REGION),
});

export type TwilioConfigInput = z.input<typeof twilioConfigSchema>;
export type TwilioConfig = z.output<typeof twilioConfigSchema>;

const envNames = {
  accountSid: 'TWILIO_ACCOUNT_SID',
  authToken: 'TWILIO_AUTH_TOKEN',
  from: 'TWILIO_FROM',
  apiBaseUrl: 'TWILIO_API_BASE',
  defaultCountry: 'NUDGE_PHONE_REGION',
};

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
    defaultCountry: regionFromEnv(env),
  };
  return parseConfig('sms/twilio', twilioConfigSchema, input, envNames);
}

/** The one phone region (NUDGE_PHONE_REGION, or its deprecated name SMS_DEFAULT_COUNTRY), as identity reads numbers. */
function regionFromEnv(env: Env) {
  try {
    return phoneRegionFromEnv(env);
  } catch (error) {
    if (error instanceof PhoneRegionError) throw new ConnectorConfigError('sms/twilio', error.message);
    throw error;
  }
}
