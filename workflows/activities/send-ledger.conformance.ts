/**
 * One suite for both send ledgers: the NATS KV bucket (the worker's, send-ledger.int.test.ts) and the
 * in-memory twin (the simulator's, send-ledger.test.ts) must agree on claims, settling, releasing and
 * delivery reports — what makes a retried send activity return the earlier result instead of sending
 * again.
 */
import { expect, it } from 'vitest';
import type { DeliveryStatusStore, LedgerRecord, SendLedgerStore } from './send-ledger';

export type LedgerUnderTest = SendLedgerStore & DeliveryStatusStore;

const pending = (journeyId: string, stepId: string): LedgerRecord => ({ status: 'pending', channel: 'sms', journeyId, stepId, at: '2025-05-01T12:00:00.000Z', to: '+4915112345678' });
const sent = (claim: LedgerRecord, providerMessageId: string): LedgerRecord => ({ ...claim, status: 'sent', providerMessageId });

/** The cases, each on an empty ledger from `open`. */
export function sendLedgerConformance(open: () => Promise<LedgerUnderTest>): void {
  it('a (journey, step) is claimed once: the second claim finds it held', async () => {
    const ledger = await open();
    expect(await ledger.get('journey/a/ann/m1', 'sms')).toBeNull();
    const revision = await ledger.claim(pending('journey/a/ann/m1', 'sms'));
    expect(revision).toBeGreaterThan(0);
    expect(await ledger.claim(pending('journey/a/ann/m1', 'sms'))).toBeNull();
    expect(await ledger.get('journey/a/ann/m1', 'sms')).toEqual({ record: pending('journey/a/ann/m1', 'sms'), revision });
    // Other steps of the journey, and the same step of another journey, are their own slots.
    expect(await ledger.claim(pending('journey/a/ann/m1', 'mail'))).not.toBeNull();
    expect(await ledger.claim(pending('journey/a/bob/m1', 'sms'))).not.toBeNull();
  });

  it('keeps journey ids with characters KV keys do not allow apart', async () => {
    const ledger = await open();
    expect(await ledger.claim(pending('journey/a/ann ü+1@x.com/m1', 'sms'))).not.toBeNull();
    expect(await ledger.claim(pending('journey/a/ann ü+2@x.com/m1', 'sms'))).not.toBeNull();
    expect((await ledger.get('journey/a/ann ü+1@x.com/m1', 'sms'))?.record.journeyId).toBe('journey/a/ann ü+1@x.com/m1');
  });

  it('settles a claim on the revision it holds, and refuses a stale revision', async () => {
    const ledger = await open();
    const claim = pending('j', 'sms');
    const revision = (await ledger.claim(claim))!;
    await ledger.settle(sent(claim, 'SM1'), revision);
    const settled = await ledger.get('j', 'sms');
    expect(settled?.record).toEqual(sent(claim, 'SM1'));
    expect(settled!.revision).toBeGreaterThan(revision);
    await expect(ledger.settle({ ...claim, status: 'failed', reason: 'late attempt' }, revision)).rejects.toThrow();
    expect((await ledger.get('j', 'sms'))?.record.status).toBe('sent');
  });

  it('a released claim frees the slot for the next attempt; a stale release leaves a settled record alone', async () => {
    const ledger = await open();
    const claim = pending('j', 'sms');
    const first = (await ledger.claim(claim))!;
    await ledger.release('j', 'sms', first);
    expect(await ledger.get('j', 'sms')).toBeNull();
    const second = (await ledger.claim(claim))!;
    expect(second).not.toBeNull();
    await ledger.settle(sent(claim, 'SM2'), second);
    await expect(ledger.release('j', 'sms', second)).rejects.toThrow();
    expect((await ledger.get('j', 'sms'))?.record).toEqual(sent(claim, 'SM2'));
  });

  it('records delivery reports by the provider message id; a report never replaces one further along', async () => {
    const ledger = await open();
    expect(await ledger.setDeliveryStatus('SM-unknown', 'delivered')).toBe('not_found');
    const claim = pending('j', 'sms');
    await ledger.settle(sent(claim, 'SM3'), (await ledger.claim(claim))!);
    await ledger.recordProviderId('SM3', 'j', 'sms');
    expect(await ledger.setDeliveryStatus('SM3', 'sent')).toBe('updated');
    expect(await ledger.setDeliveryStatus('SM3', 'undelivered', '30003')).toBe('updated');
    expect(await ledger.setDeliveryStatus('SM3', 'sent')).toBe('ignored_older');
    const { record } = (await ledger.get('j', 'sms'))!;
    expect(record.status).toBe('sent');
    expect(record.delivery).toMatchObject({ status: 'undelivered', errorCode: '30003' });
    expect(Number.isNaN(Date.parse(record.delivery!.at))).toBe(false);
  });

  it('a final status never flips: a replayed undelivered after delivered is ignored; delivered may still become read', async () => {
    const ledger = await open();
    const claim = pending('j', 'sms');
    await ledger.settle(sent(claim, 'SM5'), (await ledger.claim(claim))!);
    await ledger.recordProviderId('SM5', 'j', 'sms');
    expect(await ledger.setDeliveryStatus('SM5', 'delivered')).toBe('updated');
    expect(await ledger.setDeliveryStatus('SM5', 'undelivered', '30003')).toBe('ignored_older');
    expect(await ledger.setDeliveryStatus('SM5', 'failed')).toBe('ignored_older');
    expect((await ledger.get('j', 'sms'))!.record.delivery).toMatchObject({ status: 'delivered' });
    expect(await ledger.setDeliveryStatus('SM5', 'read')).toBe('updated');
    expect(await ledger.setDeliveryStatus('SM5', 'delivered')).toBe('ignored_older');
    expect((await ledger.get('j', 'sms'))!.record.delivery).toMatchObject({ status: 'read' });
  });

  it('a report for a send whose record is gone is not found', async () => {
    const ledger = await open();
    const revision = (await ledger.claim(pending('j', 'sms')))!;
    await ledger.recordProviderId('SM4', 'j', 'sms');
    await ledger.release('j', 'sms', revision);
    expect(await ledger.setDeliveryStatus('SM4', 'delivered')).toBe('not_found');
  });
}
