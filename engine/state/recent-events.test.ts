/** withRecent (one new event, no sort) is mergeRecent(list, [event]) for every list, ordered or not. */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../benchmarks/bench-support';
import { MAX_RECENT, mergeRecent, withRecent, type RecentEvent } from './recent-events';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');

describe('withRecent', () => {
  it('equals mergeRecent with one event, for kept lists and for arbitrary ones', () => {
    const random = mulberry32(21);
    const event = (): RecentEvent => ({
      messageId: `m${Math.floor(random() * 12)}`, // repeats on purpose
      event: 'page_viewed',
      // ties, late events, and now and then a timestamp that does not parse
      timestamp: random() < 0.03 ? 'not a time' : new Date(T0 + Math.floor(random() * 8) * 60_000).toISOString(),
      properties: {},
    });
    let kept: RecentEvent[] = [];
    for (let i = 0; i < 3000; i++) {
      const next = event();
      const expected = mergeRecent(kept, [next]);
      expect(withRecent(kept, next)).toEqual(expected);
      kept = expected;
      const arbitrary = Array.from({ length: Math.floor(random() * (MAX_RECENT + 3)) }, event);
      expect(withRecent(arbitrary, next)).toEqual(mergeRecent(arbitrary, [next]));
    }
  });
});
