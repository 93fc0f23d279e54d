/** Recipient numbers are normalised to E.164 before any provider call, so typos fail fast and never retry. */
import { NonRetryableError } from '../../errors';
import { normalisePhone, type PhoneRegion } from '../../../shared/phone';

/** "+1 (415) 555-0100" -> "+14155550100" (shared/phone.ts, as identity reads numbers); invalid: NonRetryableError `invalid_phone`. */
export function toE164(raw: string, region: PhoneRegion): string {
  const e164 = normalisePhone(raw, region);
  if (!e164) throw new NonRetryableError(`not a valid phone number: ${JSON.stringify(raw)} (numbers without a country code are read as ${region}, NUDGE_PHONE_REGION)`, 'invalid_phone');
  return e164;
}
