/** Recipient numbers are normalised to E.164 before any provider call, so typos fail fast and never retry. */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { NonRetryableError } from '../../errors';

/** "+1 (415) 555-0100" -> "+14155550100"; numbers without a country code are read as `defaultCountry`. */
export function toE164(raw: string, defaultCountry: CountryCode): string {
  const parsed = parsePhoneNumberFromString(raw, defaultCountry);
  if (!parsed || !parsed.isValid()) {
    throw new NonRetryableError(`not a valid phone number: ${JSON.stringify(raw)}`, 'invalid_phone');
  }
  return parsed.number;
}
