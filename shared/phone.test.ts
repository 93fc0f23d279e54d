/**
 * One reading of phone numbers: `normalisePhone` with the configured region, and the region setting
 * itself (NUDGE_PHONE_REGION; its deprecated name SMS_DEFAULT_COUNTRY with a warning; both set to
 * different countries refused).
 */
import { describe, expect, it } from 'vitest';
import { normalisePhone, phoneRegionFromEnv, PhoneRegionError } from './phone';

describe('normalisePhone', () => {
  it.each([
    ['+14155550100', 'US', '+14155550100'],
    ['(415) 555-0100', 'US', '+14155550100'],
    [' +1 415 555 0100 ', 'US', '+14155550100'],
    ['+44 20 7946 0018', 'US', '+442079460018'],
    ['138 0013 8000', 'CN', '+8613800138000'],
    ['+86 138 0013 8000', 'US', '+8613800138000'],
  ] as const)('%j read as %s -> %s', (raw, region, e164) => {
    expect(normalisePhone(raw, region)).toBe(e164);
  });

  it.each(['', 'STOP', '12', '+1 415 555 01000000', '13800138000'])('%j is not a US phone number', (raw) => {
    expect(normalisePhone(raw, 'US')).toBeNull();
  });
});

describe('phoneRegionFromEnv', () => {
  const warnings: string[] = [];
  const read = (env: Record<string, string>) => phoneRegionFromEnv(env, (message) => warnings.push(message));

  it('reads NUDGE_PHONE_REGION, any case; "US" when unset or blank', () => {
    expect(read({ NUDGE_PHONE_REGION: 'cn' })).toBe('CN');
    expect(read({})).toBe('US');
    expect(read({ NUDGE_PHONE_REGION: ' ' })).toBe('US');
  });

  it('accepts the deprecated SMS_DEFAULT_COUNTRY with a warning that says what to set instead', () => {
    warnings.length = 0;
    expect(read({ SMS_DEFAULT_COUNTRY: 'gb' })).toBe('GB');
    expect(warnings).toEqual([expect.stringMatching(/SMS_DEFAULT_COUNTRY is deprecated: set NUDGE_PHONE_REGION=GB instead/)]);
  });

  it('both names set to the same country: the new one is used, the old one still warned about', () => {
    warnings.length = 0;
    expect(read({ NUDGE_PHONE_REGION: 'CN', SMS_DEFAULT_COUNTRY: 'cn' })).toBe('CN');
    expect(warnings).toHaveLength(1);
  });

  it('both names set to different countries: a startup error naming both', () => {
    expect(() => read({ NUDGE_PHONE_REGION: 'CN', SMS_DEFAULT_COUNTRY: 'US' })).toThrow(PhoneRegionError);
    expect(() => read({ NUDGE_PHONE_REGION: 'CN', SMS_DEFAULT_COUNTRY: 'US' })).toThrow(/NUDGE_PHONE_REGION=CN and SMS_DEFAULT_COUNTRY=US disagree.*unset SMS_DEFAULT_COUNTRY/);
  });

  it('a value that is not a country is refused, naming the variable it came from', () => {
    expect(() => read({ NUDGE_PHONE_REGION: 'XX' })).toThrow(/^NUDGE_PHONE_REGION: "XX" is not an ISO 3166 country code/);
    expect(() => read({ SMS_DEFAULT_COUNTRY: 'China' })).toThrow(/^SMS_DEFAULT_COUNTRY: "China" is not an ISO 3166 country code/);
  });
});
