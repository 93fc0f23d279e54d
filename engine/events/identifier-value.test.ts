/** One definition of a valid identifier: the envelope (collector, resolver's parse) and the resolver's normaliser agree. */
import { describe, expect, it } from 'vitest';
import { parseEnvelope } from './envelope';
import { IdentifierTypes } from './identifier-types';
import { identifierProblem } from './identifier-value';

const event = (fields: Record<string, unknown>) => ({ type: 'track', event: 'e', messageId: 'm-1', timestamp: '2026-01-01T00:00:00Z', userId: 'u-1', ...fields });
const types = IdentifierTypes.defaults();

const hostile: [string, string, RegExp][] = [
  ['CR/LF', 'a\r\nNats-Expected-Stream: x', /control character U\+000D/],
  ['NUL', 'a\u0000b', /control character U\+0000/],
  ['a line separator', 'a\u2028b', /U\+2028/],
  ['a lone high surrogate', 'user-\uD83D', /lone surrogate/],
  ['a lone low surrogate', '\uDE00user', /lone surrogate/],
  ['whitespace only', '  \u00a0\u3000 ', /whitespace only/],
  ['201 code points', 'x'.repeat(201), /longer than 200 characters/],
];

describe('identifier values', () => {
  it.each(hostile)('refuses %s in messageId, userId, anonymousId and the resolver alike', (_what, value, reason) => {
    expect(identifierProblem(value)).toMatch(reason);
    for (const field of ['messageId', 'userId', 'anonymousId']) {
      const parsed = parseEnvelope(event({ [field]: value }));
      expect(parsed.ok, field).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toMatch(new RegExp(`${field}: an identifier`));
    }
    expect(parseEnvelope({ ...event({}), type: 'alias', event: undefined, previousId: value }).ok).toBe(false);
    // The resolver's normaliser trims first, so only the whitespace-only value is "empty" there.
    expect(types.normalize(types.get('userId')!, value)).toMatchObject({ ok: false });
  });

  it('counts code points: 200 emoji (400 UTF-16 units) are one valid id everywhere, and 200 CJK characters', () => {
    for (const value of ['😀'.repeat(200), '用'.repeat(200), 'x'.repeat(200)]) {
      expect(identifierProblem(value)).toBeUndefined();
      expect(parseEnvelope(event({ userId: value, messageId: value })).ok).toBe(true);
      expect(types.normalize(types.get('userId')!, value)).toEqual({ ok: true, value });
    }
  });

  it('accepts surrogate pairs, tabs are not allowed, spaces inside are', () => {
    expect(identifierProblem('user 😀 one')).toBeUndefined();
    expect(identifierProblem('a\tb')).toMatch(/U\+0009/);
  });
});
