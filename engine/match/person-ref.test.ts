import { describe, expect, it } from 'vitest';
import { journeyWorkflowId } from './entry-policy';
import { looksPersonal, personRef } from './person-ref';

describe('personRef', () => {
  it.each(['ann@example.com', '+49 151 1234 5678', '+4915112345678', '015112345678', 'Ann Smith', 'anné', 'tel:+4915112345678', 'a/b'])('hashes %s, which could be personal data', (key) => {
    expect(looksPersonal(key)).toBe(true);
    expect(personRef(key)).toMatch(/^p\.[A-Za-z0-9_-]{22}$/);
    expect(personRef(key)).toBe(personRef(key));
  });

  it.each(['ann', 'user-a', 'u_123', '3f2b9c1e-8d4a-4b2f-9e1c-5a6b7c8d9e0f', 'anon:abc123'])('keeps the opaque id %s, so older journeys keep their ids', (key) => {
    expect(personRef(key)).toBe(key);
  });

  it('a workflow id holds the ref, never an email address', () => {
    const id = journeyWorkflowId('welcome', 'ann@example.com', 'once');
    expect(id).not.toContain('ann@example.com');
    expect(id).toBe(`journey/welcome/${personRef('ann@example.com')}/once`);
    expect(journeyWorkflowId('welcome', 'ann', 'once')).toBe('journey/welcome/ann/once');
  });

  it('different people get different refs; a ref is not hashed again', () => {
    expect(personRef('ann@example.com')).not.toBe(personRef('bea@example.com'));
    expect(personRef(personRef('ann@example.com'))).toBe(personRef('ann@example.com'));
  });
});
