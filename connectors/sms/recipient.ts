/**
 * What every SMS provider does with a recipient before calling its API: normalise it to E.164 with the
 * one phone region identity uses (shared/phone.ts), so typos fail fast and are never retried.
 */
import { phoneRegionFromEnv, PhoneRegionError, normalisePhone, type PhoneRegion } from '../../shared/phone';
import type { Env } from '../config';
import { ConnectorConfigError, NonRetryableError } from '../errors';

/** "+1 (415) 555-0100" -> "+14155550100"; an invalid number is NonRetryableError `invalid_phone`. */
export function smsRecipient(raw: string, region: PhoneRegion): string {
  const e164 = normalisePhone(raw, region);
  if (!e164) throw new NonRetryableError(`not a valid phone number: ${JSON.stringify(raw)} (numbers without a country code are read as ${region}, NUDGE_PHONE_REGION)`, 'invalid_phone');
  return e164;
}

/** E.164 as providers take sender numbers: "+" and 7 to 15 digits. */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

/**
 * The one phone region (NUDGE_PHONE_REGION, or its deprecated name SMS_DEFAULT_COUNTRY) for an SMS
 * provider's config, a bad value reported as that provider's ConnectorConfigError.
 */
export function smsRegionFromEnv(env: Env, connector: string): PhoneRegion {
  try {
    return phoneRegionFromEnv(env);
  } catch (error) {
    if (error instanceof PhoneRegionError) throw new ConnectorConfigError(connector, error.message);
    throw error;
  }
}
