/** API tokens: only hashes configured, unknown/forged/expired tokens refused, roles as documented. */
import { describe, expect, it } from 'vitest';
import { ApiTokens } from '../../platform/api-token-entry';
import { authenticate, bearerOf, createApiToken, mayPerform, sha256Hex, TOKEN_PREFIX } from './api-tokens';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const viewer = createApiToken({ name: 'crm', role: 'viewer' });
const operator = createApiToken({ name: 'support', role: 'operator', expiresAt: new Date('2026-04-01T00:00:00.000Z') });
const tokens = [viewer.entry, operator.entry];

describe('API tokens', () => {
  it('creates a prefixed random token whose entry holds only its SHA-256', () => {
    expect(viewer.token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(viewer.token).not.toBe(createApiToken({ name: 'crm', role: 'viewer' }).token);
    expect(viewer.entry).toEqual({ name: 'crm', role: 'viewer', sha256: sha256Hex(viewer.token) });
    expect(JSON.stringify(viewer.entry)).not.toContain(viewer.token);
    expect(ApiTokens.parse(tokens)).toEqual(tokens);
  });

  it('admits a configured token and says whose it is', () => {
    expect(authenticate(`Bearer ${viewer.token}`, tokens, NOW)).toEqual({ ok: true, token: viewer.entry });
    expect(authenticate(`bearer  ${operator.token} `, tokens, NOW)).toEqual({ ok: true, token: operator.entry });
  });

  it.each([
    ['no header', undefined, 'missing bearer token'],
    ['Basic auth', `Basic ${Buffer.from('x:').toString('base64')}`, 'missing bearer token'],
    ['a forged token', `Bearer ${TOKEN_PREFIX}${'A'.repeat(43)}`, 'unknown token'],
    ['the hash instead of the token', `Bearer ${viewer.entry.sha256}`, 'unknown token'],
    ['a token with one character changed', `Bearer ${viewer.token.slice(0, -1)}${viewer.token.endsWith('A') ? 'B' : 'A'}`, 'unknown token'],
  ])('refuses %s', (_name, header, reason) => {
    const check = authenticate(header, tokens, NOW);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toContain(reason);
  });

  it('refuses a token after it expired', () => {
    expect(authenticate(`Bearer ${operator.token}`, tokens, new Date('2026-03-31T23:59:59.999Z')).ok).toBe(true);
    const check = authenticate(`Bearer ${operator.token}`, tokens, new Date('2026-04-01T00:00:00.000Z'));
    expect(check).toEqual({ ok: false, reason: 'token "support" expired at 2026-04-01T00:00:00.000Z' });
  });

  it('lets a viewer read only; an operator also exports, erases and posts events', () => {
    expect((['read', 'export', 'erase', 'post_events'] as const).map((a) => mayPerform('viewer', a))).toEqual([true, false, false, false]);
    expect((['read', 'export', 'erase', 'post_events'] as const).map((a) => mayPerform('operator', a))).toEqual([true, true, true, true]);
  });

  it('refuses configuration with a plain token, an unknown role or two tokens of one name', () => {
    expect(ApiTokens.safeParse([{ name: 'x', role: 'viewer', sha256: viewer.token }]).success).toBe(false);
    expect(ApiTokens.safeParse([{ ...viewer.entry, role: 'admin' }]).success).toBe(false);
    const twice = ApiTokens.safeParse([viewer.entry, { ...operator.entry, name: 'crm' }]);
    expect(twice.error?.issues[0]?.message).toContain('"crm" is used by two tokens');
  });

  it('reads the bearer of an Authorization header', () => {
    expect(bearerOf('Bearer abc')).toBe('abc');
    expect(bearerOf('Bearer a b')).toBeUndefined();
    expect(bearerOf(undefined)).toBeUndefined();
  });
});
