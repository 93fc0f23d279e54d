import { describe, expect, it } from 'vitest';
import { signPayload, verifyPayloadSignature } from './payload-signature';

const SECRET = 'test-signing-secret-0123456789';

describe('verifyPayloadSignature', () => {
  const body = '{"a":1}';

  it('rejects timestamps outside the tolerance, even with a correct signature', () => {
    const now = 1_700_000_000;
    const signature = signPayload(SECRET, now - 600, body);

    expect(verifyPayloadSignature(SECRET, now - 600, body, signature, 300, now)).toBe(false);
    expect(verifyPayloadSignature(SECRET, now - 600, body, signature, 900, now)).toBe(true);
  });

  it('rejects missing or malformed headers', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verifyPayloadSignature(SECRET, now, body, undefined)).toBe(false);
    expect(verifyPayloadSignature(SECRET, now, body, 'sha256=abc')).toBe(false);
    expect(verifyPayloadSignature(SECRET, 'yesterday', body, signPayload(SECRET, 'yesterday', body))).toBe(false);
  });
});
