/**
 * Frequency caps as a specification: per user and channel, at most `max` sends inside a sliding window
 * of `per`; a retried send (same journey and step) keeps its slot instead of taking a second one; a
 * refused send says when the oldest send leaves the window. `decide` is the pure rule both stores
 * share; MemoryCapStore (the simulator's) is checked here, KvCapStore in test/e2e/guardrails-caps.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FrequencyCap } from '../../rules/schema/guardrails';
import { decide, MemoryCapStore } from './frequency-caps';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = Date.parse('2025-05-01T12:00:00.000Z');
const onePerDay: FrequencyCap = { max: 1, per: '1d', policy: 'skip' };
const twoPerDay: FrequencyCap = { max: 2, per: '1d', policy: 'skip' };

describe('decide', () => {
  it('grants a slot in an empty window and records the send', () => {
    expect(decide({ sends: [] }, 'j1/sms', t0, onePerDay)).toEqual({
      reservation: { granted: true },
      next: { sends: [{ at: t0, key: 'j1/sms' }] },
    });
  });

  it('refuses once max sends are inside the window, with retryAt just after the oldest leaves it', () => {
    const record = { sends: [{ at: t0, key: 'j1/sms' }, { at: t0 + HOUR, key: 'j2/sms' }] };
    const decision = decide(record, 'j3/sms', t0 + 2 * HOUR, twoPerDay);
    expect(decision.reservation).toEqual({ granted: false, retryAt: t0 + DAY + 1 });
    expect(decision.next).toBeUndefined();
  });

  it('the window slides: a send older than `per` no longer counts and is dropped from the record', () => {
    const record = { sends: [{ at: t0, key: 'j1/sms' }] };
    expect(decide(record, 'j2/sms', t0 + DAY - 1, onePerDay).reservation.granted).toBe(false);
    expect(decide(record, 'j2/sms', t0 + DAY + 1, onePerDay)).toEqual({
      reservation: { granted: true },
      next: { sends: [{ at: t0 + DAY + 1, key: 'j2/sms' }] },
    });
  });

  it('the same send key is idempotent: granted again without taking a second slot, even when the cap is full', () => {
    const record = { sends: [{ at: t0, key: 'j1/sms' }] };
    expect(decide(record, 'j1/sms', t0 + HOUR, onePerDay)).toEqual({ reservation: { granted: true } });
  });

  it('windows are parsed as durations ("90m", "7d")', () => {
    const record = { sends: [{ at: t0, key: 'a' }] };
    expect(decide(record, 'b', t0 + 89 * 60_000, { max: 1, per: '90m', policy: 'skip' }).reservation).toEqual({ granted: false, retryAt: t0 + 90 * 60_000 + 1 });
    expect(decide(record, 'b', t0 + 6 * DAY, { max: 1, per: '7d', policy: 'skip' }).reservation).toEqual({ granted: false, retryAt: t0 + 7 * DAY + 1 });
  });
});

describe('MemoryCapStore', () => {
  it('counts per user and per channel', async () => {
    const caps = new MemoryCapStore();
    expect(await caps.reserve('ann', 'sms', 'j1/sms', t0, onePerDay)).toEqual({ granted: true });
    expect(await caps.reserve('ann', 'sms', 'j2/sms', t0 + 1, onePerDay)).toEqual({ granted: false, retryAt: t0 + DAY + 1 });
    expect(await caps.reserve('bob', 'sms', 'j3/sms', t0 + 1, onePerDay)).toEqual({ granted: true });
    expect(await caps.reserve('ann', 'email', 'j1/mail', t0 + 1, onePerDay)).toEqual({ granted: true });
  });

  it('a retried send with the same key keeps its slot, and does not take another one', async () => {
    const caps = new MemoryCapStore();
    expect(await caps.reserve('ann', 'sms', 'j1/sms', t0, twoPerDay)).toEqual({ granted: true });
    expect(await caps.reserve('ann', 'sms', 'j1/sms', t0 + 1000, twoPerDay)).toEqual({ granted: true });
    expect(await caps.reserve('ann', 'sms', 'j2/sms', t0 + 2000, twoPerDay)).toEqual({ granted: true });
    expect(await caps.reserve('ann', 'sms', 'j3/sms', t0 + 3000, twoPerDay)).toEqual({ granted: false, retryAt: t0 + DAY + 1 });
  });

  it('a refused send is granted at its retryAt', async () => {
    const caps = new MemoryCapStore();
    await caps.reserve('ann', 'sms', 'j1/sms', t0, onePerDay);
    const refused = await caps.reserve('ann', 'sms', 'j2/sms', t0 + 5 * HOUR, onePerDay);
    expect(refused.granted).toBe(false);
    const retryAt = (refused as { retryAt: number }).retryAt;
    expect(await caps.reserve('ann', 'sms', 'j2/sms', retryAt, onePerDay)).toEqual({ granted: true });
    expect(await caps.reserve('ann', 'sms', 'j3/sms', retryAt + 1, onePerDay)).toEqual({ granted: false, retryAt: retryAt + DAY + 1 });
  });

  it('concurrent reservations for the last slot: exactly one is granted', async () => {
    const caps = new MemoryCapStore();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => caps.reserve('ann', 'sms', `j${i}/sms`, t0, onePerDay)));
    expect(results.filter((r) => r.granted)).toHaveLength(1);
  });
});
