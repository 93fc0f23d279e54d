/**
 * Frequency caps as a specification of `decide`, the pure rule both cap stores share: per user and
 * channel, at most `max` sends inside a sliding window of `per`; a retried send (same journey and step)
 * keeps its slot instead of taking a second one; a refused send says when a slot frees up. The stores
 * themselves (KV and memory) run one suite: cap-store.conformance.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FrequencyCap } from '../../rules/schema/guardrails';
import { decide, KEPT_SENDS } from './frequency-caps';

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

  it('records an uncapped send (null cap) whatever the window holds', () => {
    const record = { sends: [{ at: t0, key: 'j1/sms' }] };
    expect(decide(record, 'j2/sms', t0 + 1, null)).toEqual({
      reservation: { granted: true },
      next: { sends: [{ at: t0, key: 'j1/sms' }, { at: t0 + 1, key: 'j2/sms' }] },
    });
  });

  it('refuses once max sends are inside the window, with retryAt just after the oldest leaves it', () => {
    const record = { sends: [{ at: t0, key: 'j1/sms' }, { at: t0 + HOUR, key: 'j2/sms' }] };
    const decision = decide(record, 'j3/sms', t0 + 2 * HOUR, twoPerDay);
    expect(decision.reservation).toEqual({ granted: false, retryAt: t0 + DAY + 1 });
    expect(decision.next).toBeUndefined();
  });

  it('the window slides: a send older than `per` no longer counts, but stays for caps with longer windows', () => {
    const record = { sends: [{ at: t0, key: 'j1/sms' }] };
    expect(decide(record, 'j2/sms', t0 + DAY - 1, onePerDay).reservation.granted).toBe(false);
    expect(decide(record, 'j2/sms', t0 + DAY + 1, onePerDay)).toEqual({
      reservation: { granted: true },
      next: { sends: [{ at: t0, key: 'j1/sms' }, { at: t0 + DAY + 1, key: 'j2/sms' }] },
    });
  });

  it('the same send key is idempotent: granted again without taking a second slot, even when the cap is full', () => {
    const record = { sends: [{ at: t0, key: 'j1/sms' }] };
    expect(decide(record, 'j1/sms', t0 + HOUR, onePerDay)).toEqual({ reservation: { granted: true } });
    expect(decide(record, 'j1/sms', t0 + HOUR, null)).toEqual({ reservation: { granted: true } });
  });

  it('windows are parsed as durations ("90m", "7d")', () => {
    const record = { sends: [{ at: t0, key: 'a' }] };
    expect(decide(record, 'b', t0 + 89 * 60_000, { max: 1, per: '90m', policy: 'skip' }).reservation).toEqual({ granted: false, retryAt: t0 + 90 * 60_000 + 1 });
    expect(decide(record, 'b', t0 + 6 * DAY, { max: 1, per: '7d', policy: 'skip' }).reservation).toEqual({ granted: false, retryAt: t0 + 7 * DAY + 1 });
  });

  it(`keeps the newest ${KEPT_SENDS} sends, which is enough for the largest cap`, () => {
    const sends = Array.from({ length: KEPT_SENDS }, (_, i) => ({ at: t0 + i, key: `j${i}/sms` }));
    const { next } = decide({ sends }, 'last/sms', t0 + KEPT_SENDS, null);
    expect(next!.sends).toHaveLength(KEPT_SENDS);
    expect(next!.sends[0]).toEqual({ at: t0 + 1, key: 'j1/sms' });
    expect(decide(next!, 'capped/sms', t0 + KEPT_SENDS + 1, { max: 1000, per: '1d', policy: 'skip' }).reservation).toEqual({ granted: false, retryAt: t0 + 1 + DAY + 1 });
  });
});
