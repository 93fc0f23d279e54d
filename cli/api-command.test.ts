/** `nudge api token create`: prints a token once with the entry that admits it, which holds only the hash. */
import { describe, expect, it } from 'vitest';
import { ApiTokens } from '../platform/api-token-entry';
import { authenticate } from '../engine/api/api-tokens';
import { runTokenCreate } from './api-command';

describe('nudge api token create', () => {
  it('prints a token and a NUDGE_API_TOKENS entry that admits it until it expires', () => {
    let text = '';
    const now = new Date('2026-03-01T00:00:00.000Z');
    expect(runTokenCreate({ role: 'operator', name: 'support', expiresIn: '30d' }, (t) => (text += t), now)).toBe(0);
    const token = /^ {2}(nudge_api_\S+)$/m.exec(text)![1]!;
    const entries = ApiTokens.parse([JSON.parse(/^ {2}(\{.*\})$/m.exec(text)![1]!)]);
    expect(entries[0]).toMatchObject({ name: 'support', role: 'operator', expiresAt: '2026-03-31T00:00:00.000Z' });
    expect(JSON.stringify(entries)).not.toContain(token);
    expect(authenticate(`Bearer ${token}`, entries, now)).toMatchObject({ ok: true, token: { name: 'support' } });
    expect(authenticate(`Bearer ${token}`, entries, new Date('2026-03-31T00:00:00.000Z')).ok).toBe(false);
  });

  it('refuses an unknown role', () => {
    expect(() => runTokenCreate({ role: 'admin', name: 'x' }, () => undefined)).toThrow('--role must be viewer or operator, not "admin"');
  });
});
