/**
 * One suite for both cap stores: the NATS KV bucket (the worker's, cap-store.int.test.ts) and the
 * in-memory twin (the simulator's, cap-store.test.ts) must agree on what a frequency cap counts. A cap
 * counts every marketing send on its channel to the person, whichever rule sent it and whether or not
 * that rule declares a cap; a retried send (same journey and step, the send ledger's identity) is
 * counted once; caps of different windows read one history without erasing each other's sends.
 */
import { expect, it } from 'vitest';
import type { FrequencyCap } from '../../rules/schema/guardrails';
import type { CapStore } from './frequency-caps';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = Date.parse('2025-05-01T12:00:00.000Z');
const onePerDay: FrequencyCap = { max: 1, per: '1d', policy: 'skip' };
const twoPerDay: FrequencyCap = { max: 2, per: '1d', policy: 'skip' };
const threePerDay: FrequencyCap = { max: 3, per: '1d', policy: 'skip' };
const uncapped = null;

/**
 * The cases, for a store opened fresh by `open`: it returns four handles on one store (KV: four
 * connections to one bucket, so concurrent reservations really interleave on the server; memory: the
 * same object four times).
 */
export function capStoreConformance(open: () => Promise<CapStore[]>): void {
  it('counts per user and per channel', async () => {
    const [caps] = await open();
    expect(await caps!.reserve('ann', 'sms', 'j1/sms', t0, onePerDay)).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'sms', 'j2/sms', t0 + 1, onePerDay)).toEqual({ granted: false, retryAt: t0 + DAY + 1 });
    expect(await caps!.reserve('bob', 'sms', 'j3/sms', t0 + 1, onePerDay)).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'email', 'j1/mail', t0 + 1, onePerDay)).toEqual({ granted: true });
  });

  it('an uncapped send is recorded and counts against a later capped one', async () => {
    const [caps] = await open();
    expect(await caps!.reserve('ann', 'sms', 'newsletter/sms', t0, uncapped)).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'sms', 'promo/sms', t0 + HOUR, onePerDay)).toEqual({ granted: false, retryAt: t0 + DAY + 1 });
  });

  it('an uncapped send is granted however many sends the window holds', async () => {
    const [caps] = await open();
    await caps!.reserve('ann', 'sms', 'j1/sms', t0, onePerDay);
    expect(await caps!.reserve('ann', 'sms', 'alert/sms', t0 + 1, uncapped)).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'sms', 'alert-2/sms', t0 + 2, uncapped)).toEqual({ granted: true });
  });

  it('a retried send (same key) is counted once, capped or not', async () => {
    const [caps] = await open();
    expect(await caps!.reserve('ann', 'sms', 'j1/sms', t0, uncapped)).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'sms', 'j1/sms', t0 + 1000, uncapped)).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'sms', 'j2/sms', t0 + 2000, twoPerDay)).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'sms', 'j2/sms', t0 + 3000, twoPerDay)).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'sms', 'j3/sms', t0 + 4000, twoPerDay)).toEqual({ granted: false, retryAt: t0 + DAY + 1 });
  });

  it('a cap with a short window does not erase the sends a longer window still counts', async () => {
    const [caps] = await open();
    expect(await caps!.reserve('ann', 'sms', 'weekly/sms', t0, uncapped)).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'sms', 'hourly/sms', t0 + 2 * HOUR, { max: 1, per: '1h', policy: 'skip' })).toEqual({ granted: true });
    expect(await caps!.reserve('ann', 'sms', 'daily/sms', t0 + 3 * HOUR, twoPerDay)).toEqual({ granted: false, retryAt: t0 + DAY + 1 });
  });

  it('the window slides: a refused send is granted at its retryAt, which waits until fewer than max sends are inside', async () => {
    const [caps] = await open();
    // Three sends in the window (two of them uncapped) and a cap of two: the slot frees when the
    // second-newest leaves the window, not the oldest.
    await caps!.reserve('ann', 'sms', 'a/sms', t0, uncapped);
    await caps!.reserve('ann', 'sms', 'b/sms', t0 + HOUR, uncapped);
    await caps!.reserve('ann', 'sms', 'c/sms', t0 + 2 * HOUR, uncapped);
    const refused = await caps!.reserve('ann', 'sms', 'd/sms', t0 + 3 * HOUR, twoPerDay);
    expect(refused).toEqual({ granted: false, retryAt: t0 + HOUR + DAY + 1 });
    expect((await caps!.reserve('ann', 'sms', 'd/sms', t0 + DAY + 1, twoPerDay)).granted).toBe(false); // the oldest left; two are still inside
    expect(await caps!.reserve('ann', 'sms', 'd/sms', t0 + HOUR + DAY + 1, twoPerDay)).toEqual({ granted: true });
  });

  it('concurrent reservations for the last slot: exactly one is granted, and its retry keeps it', async () => {
    const stores = await open();
    const now = Date.now();
    for (let round = 0; round < 5; round++) {
      const user = `racer-${round}`;
      expect(await stores[0]!.reserve(user, 'sms', 'earlier/1', now - 2000, threePerDay)).toEqual({ granted: true });
      expect(await stores[1]!.reserve(user, 'sms', 'earlier/2', now - 1000, uncapped)).toEqual({ granted: true });
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % stores.length]!.reserve(user, 'sms', `journey-${i}/sms`, now, threePerDay)));
      const granted = results.flatMap((r, i) => (r.granted ? [i] : []));
      expect(granted, `round ${round}: granted to ${granted.join(', ')}`).toHaveLength(1);
      for (const refused of results.filter((r) => !r.granted)) expect(refused).toEqual({ granted: false, retryAt: now - 2000 + DAY + 1 });
      expect(await stores[3]!.reserve(user, 'sms', `journey-${granted[0]}/sms`, now + 10, threePerDay)).toEqual({ granted: true });
      expect((await stores[2]!.reserve(user, 'sms', 'late/sms', now + 20, threePerDay)).granted).toBe(false);
    }
  });

  it('concurrent uncapped sends are all recorded: none is lost to a compare-and-set race', async () => {
    const stores = await open();
    await Promise.all(Array.from({ length: 8 }, (_, i) => stores[i % stores.length]!.reserve('burst', 'sms', `burst-${i}/sms`, t0 + i, uncapped)));
    expect(await stores[0]!.reserve('burst', 'sms', 'capped/sms', t0 + 100, { max: 8, per: '1d', policy: 'skip' })).toEqual({ granted: false, retryAt: t0 + DAY + 1 });
    expect(await stores[1]!.reserve('burst', 'sms', 'capped/sms', t0 + 100, { max: 9, per: '1d', policy: 'skip' })).toEqual({ granted: true });
  });
}
