/**
 * Phone numbers, read one way everywhere. Identity (phone identifiers), the SMS connectors, the inbound
 * phone directory and the simulator all normalise with `normalisePhone` and the one region setting
 * `NUDGE_PHONE_REGION`, so a number that links a person is a number their SMS can go to. (Identity and
 * sends once read two settings; a Chinese number then linked people but failed `invalid_phone`.)
 * This folder imports only npm packages, so engine/, workflows/ and connectors/ may all import it.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';

export type PhoneRegion = CountryCode;

export const PHONE_REGION_SETTING = 'NUDGE_PHONE_REGION';
/** The SMS connector's old name for the same setting, accepted with a deprecation warning. */
export const DEPRECATED_PHONE_REGION_SETTING = 'SMS_DEFAULT_COUNTRY';
export const DEFAULT_PHONE_REGION: PhoneRegion = 'US';

export const PhoneRegionSchema = z
  .string()
  .trim()
  .transform((code) => code.toUpperCase())
  .refine((code) => isSupportedCountry(code), 'not an ISO 3166 country code that has phone numbers (e.g. "US", "CN", "DE")')
  .transform((code) => code as PhoneRegion)
  .describe('Country of phone numbers written without "+<country code>", for identity, SMS sends, inbound SMS and the simulator. Example: "CN" reads 13800138000 as +8613800138000. Default "US". SMS_DEFAULT_COUNTRY is its deprecated name.');

/** "+1 (415) 555-0100" -> "+14155550100"; numbers without a country code are read as `region`; null when not a valid number. */
export function normalisePhone(raw: string, region: PhoneRegion): string | null {
  const parsed = parsePhoneNumberFromString(raw.trim(), region);
  return parsed?.isValid() ? parsed.number : null;
}

/** The region setting is missing its country, or its two names disagree. */
export class PhoneRegionError extends Error {
  static readonly code = 'invalid_phone_region';
  readonly code = PhoneRegionError.code;
  constructor(message: string) {
    super(message);
    this.name = 'PhoneRegionError';
  }
}

const warned = new Set<string>();
/** Once per process and message: the engine, the worker's connectors and the simulator all read the setting. */
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { type: 'DeprecationWarning', code: 'NUDGE_SMS_DEFAULT_COUNTRY' });
}

/**
 * The configured region: NUDGE_PHONE_REGION, else the deprecated SMS_DEFAULT_COUNTRY (with a warning),
 * else "US". Both set to different countries is an error: which one the operator meant cannot be known,
 * and using either would read someone's numbers wrong.
 */
export function phoneRegionFromEnv(env: Readonly<Record<string, string | undefined>>, warn: (message: string) => void = warnOnce): PhoneRegion {
  const current = setting(env, PHONE_REGION_SETTING);
  const deprecated = setting(env, DEPRECATED_PHONE_REGION_SETTING);
  if (deprecated !== undefined) {
    if (current !== undefined && current !== deprecated) {
      throw new PhoneRegionError(`${PHONE_REGION_SETTING}=${current} and ${DEPRECATED_PHONE_REGION_SETTING}=${deprecated} disagree: they are one setting now (identity and SMS read numbers the same way); unset ${DEPRECATED_PHONE_REGION_SETTING}`);
    }
    warn(`${DEPRECATED_PHONE_REGION_SETTING} is deprecated: set ${PHONE_REGION_SETTING}=${deprecated} instead (one setting for identity, SMS sends, inbound SMS and the simulator)`);
  }
  return current ?? deprecated ?? DEFAULT_PHONE_REGION;
}

function setting(env: Readonly<Record<string, string | undefined>>, name: string): PhoneRegion | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const parsed = PhoneRegionSchema.safeParse(raw);
  if (!parsed.success) throw new PhoneRegionError(`${name}: "${raw}" is ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}
