/** Write keys as Segment's SDKs send them: the user name of HTTP Basic auth, password empty. */
import { describe, expect, it } from 'vitest';
import { sourceOfWriteKey, writeKeyOfAuthorization } from './write-keys';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
const keys = { 'wk-web': { source: 'web', allowedOrigins: ['https://shop.example.com'] }, 'wk-ios': 'ios' };

describe('write keys', () => {
  it('reads the user name of Basic auth, with or without the colon and password', () => {
    expect(writeKeyOfAuthorization(basic('wk-web:'))).toBe('wk-web');
    expect(writeKeyOfAuthorization(basic('wk-web:ignored'))).toBe('wk-web');
    expect(writeKeyOfAuthorization(basic('wk-web'))).toBe('wk-web');
    expect(writeKeyOfAuthorization(`basic ${Buffer.from('wk-ios:').toString('base64')}`)).toBe('wk-ios');
  });

  it('is not found in other schemes', () => {
    expect(writeKeyOfAuthorization('Bearer wk-web')).toBeUndefined();
    expect(writeKeyOfAuthorization('Basic not base64!')).toBeUndefined();
  });

  it('maps each key to its source; unknown and missing keys are refused', () => {
    expect(sourceOfWriteKey('wk-web', keys)).toEqual({ ok: true, source: 'web', allowedOrigins: ['https://shop.example.com'] });
    expect(sourceOfWriteKey('wk-ios', keys)).toEqual({ ok: true, source: 'ios', allowedOrigins: [] });
    expect(sourceOfWriteKey('wk-web ', keys)).toEqual({ ok: false, reason: 'unknown write key' });
    expect(sourceOfWriteKey('', keys)).toEqual({ ok: false, reason: 'missing write key' });
    expect(sourceOfWriteKey(undefined, keys)).toEqual({ ok: false, reason: 'missing write key' });
  });
});
