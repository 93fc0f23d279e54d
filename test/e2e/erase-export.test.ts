/**
 * GDPR export and erase on real servers: a user in the middle of the flagship journey (coupon and
 * email sent, waiting two "days" for the SMS) is exported, then erased. Afterwards no KV bucket holds
 * anything that names them — not in values, keys, history or delete markers — the journey is gone and
 * sends nothing, the send counts survive anonymously, and a bystander in the same journey is untouched.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhoneDirectory } from '../../engine/inbound/phone-directory';
import { openBucket, SENDS_BUCKET } from '../../platform/nats/setup';
import { eraseUser, formatEraseSummary } from '../../engine/privacy/erase-user';
import { exportUser } from '../../engine/privacy/export-user';
import { SendLedger } from '../../workflows/activities/send-ledger';
import { identify, startStack, track, type Stack } from '../support/stack';

const DAY = 86_400_000;
/** A day lasts 6 s, so the flagship's 2-day wait before the SMS is 12 s: long enough to erase during it. */
const DAY_LENGTH_MS = 6000;

const person = (prefix: string, phoneFrom: number) => {
  const id = `${prefix}-${randomUUID().slice(0, 8)}`;
  return { id, email: `${id}@example.com`, phone: `+1415555${randomInt(phoneFrom, phoneFrom + 4000)}` };
};
const erased = person('gdpr', 1000);
const bystander = person('keep', 5000);

let stack: Stack;
let phones: PhoneDirectory;

beforeAll(async () => {
  stack = await startStack({
    rules: 'rules',
    // Frequency caps keep per-user records in nudge_caps; erase must find those too.
    env: { NUDGE_DAY_LENGTH: `${DAY_LENGTH_MS / 1000}s`, NUDGE_FREQUENCY_CAPS: '{"email":{"max":5,"per":"7d"},"sms":{"max":5,"per":"7d"}}' },
  });
  phones = await PhoneDirectory.open(stack.nc, stack.config.NUDGE_PHONE_REGION); // phone -> user, for inbound SMS (STOP)
});
afterAll(async () => {
  await stack?.stop();
});

const ago = (ms: number) => new Date(Date.now() - ms);

async function enterFlagship(user: { id: string; email: string; phone: string }) {
  await phones.set(user.phone, user.id);
  await stack.publish(identify(user.id, { email: user.email, phone: user.phone, first_name: 'Erin' }, ago(10 * DAY)));
  for (const at of [ago(3 * DAY), ago(2 * DAY), ago(60_000)]) await stack.publish(track(user.id, 'page_viewed', at, { page: 'pricing' }));
}

const journeyOf = (userId: string) => stack.journeyIdOf(userId, 'pricing-hesitation');

async function statusOf(workflowId: string): Promise<string> {
  try {
    return (await stack.temporal.workflow.getHandle(workflowId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'GONE';
    throw error;
  }
}

async function allBuckets(): Promise<string[]> {
  const names: string[] = [];
  for await (const stream of (await jetstreamManager(stack.nc)).streams.names()) if (stream.startsWith('KV_')) names.push(stream.slice(3));
  return names.sort();
}

/** Every message still stored in a bucket's stream (values, history, delete markers), subject and data as text. */
async function rawBucketContents(bucket: string): Promise<string[]> {
  const jsm = await jetstreamManager(stack.nc);
  const info = await jsm.streams.info(`KV_${bucket}`).catch(() => null);
  if (!info || info.state.messages === 0) return [];
  const texts: string[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(`KV_${bucket}`, { seq }).catch(() => null);
    if (msg) texts.push(`${msg.subject} ${msg.string()}`);
  }
  return texts;
}

/** The text, plus every base64url-looking token decoded, so ids hidden in encoded keys are seen too. */
function readable(text: string): string {
  const decoded = text.split(/[^A-Za-z0-9_-]+/).filter((t) => t.length >= 8).map((t) => Buffer.from(t, 'base64url').toString('latin1'));
  return [text, ...decoded].join('\n');
}

const mentions = (text: string, user: { id: string; email: string; phone: string }) =>
  [user.id, user.email, user.phone, user.phone.slice(1)].filter((needle) => readable(text).includes(needle));

describe('erase and export (GDPR)', () => {
  it('exports a user mid-journey, erases them without a trace, keeps anonymous counts and the bystander', async () => {
    await enterFlagship(erased);
    await enterFlagship(bystander);
    const email = await stack.smtp.waitFor((m) => m.to.includes(erased.email), 20_000);
    const emailAt = Date.now();
    await stack.smtp.waitFor((m) => m.to.includes(bystander.email), 20_000);
    const journeyId = await journeyOf(erased.id);
    const bystanderJourney = await journeyOf(bystander.id);
    const code = /SAVE10-[0-9A-Z]+/.exec(email.text)![0];
    // Delivery reports find a send by the provider's message id through an index entry in the ledger bucket.
    const ledger = new SendLedger(await openBucket(stack.nc, SENDS_BUCKET));
    await ledger.recordProviderId(`SM-${erased.id}`, journeyId, 'coupon-email');
    await ledger.recordProviderId(`SM-${bystander.id}`, bystanderJourney, 'coupon-email');

    // Export: everything held, in one document.
    const before = await exportUser(stack.config, erased.id);
    expect(before.held).toBe(true);
    expect(before.profile?.traits).toMatchObject({ email: erased.email, phone: erased.phone, first_name: 'Erin' });
    expect(Object.values(before.profile!.counters).flat().every((t) => !Number.isNaN(Date.parse(t)) && t.endsWith('Z'))).toBe(true);
    expect(before.profile?.entries['pricing-hesitation']).toMatchObject({ entries: 1, lastJourneyId: journeyId });
    expect(before.profile?.journeyMarkers['pricing-hesitation']?.journeyId).toBe(journeyId);
    expect(before.journeys).toEqual([expect.objectContaining({ workflowId: journeyId, ruleId: 'pricing-hesitation', status: 'RUNNING', closeTime: null })]);
    expect(before.sends).toEqual([expect.objectContaining({ journeyId, stepId: 'coupon-email', channel: 'email', status: 'sent', to: erased.email })]);
    expect(before.coupons).toEqual([expect.objectContaining({ journeyId, stepId: 'issue-coupon', code })]);
    expect(before.linkedEntries).toEqual([
      { bucket: 'nudge_caps', key: `c.${Buffer.from(erased.id).toString('base64url')}.email`, value: { sends: [expect.objectContaining({ key: `${journeyId}/coupon-email` })] } },
      { bucket: 'nudge_phones', key: erased.phone.slice(1), value: { userId: erased.id } },
    ]);
    expect(before.events.map((e) => (e.event as { type: string }).type)).toEqual(['identify', 'track', 'track', 'track']);
    expect(JSON.stringify(before)).not.toContain(bystander.id);

    // Erase, while the journey waits for its SMS.
    expect(await statusOf(journeyId)).toBe('RUNNING');
    const summary = await eraseUser(stack.config, erased.id);
    expect(Date.now() - emailAt, 'erase finished before the SMS was due').toBeLessThan(2 * DAY_LENGTH_MS);
    expect(summary).toMatchObject({
      nothingFound: false,
      journeysTerminated: [journeyId],
      journeysDeleted: [journeyId],
      journeysKept: [],
      profileDeleted: true,
      eventsDeleted: 4,
      sendsAnonymized: 1,
      sendIndexEntriesDeleted: expect.any(Number),
      couponAssignmentsDeleted: 1,
      linkedEntriesDeleted: { nudge_caps: 1, nudge_phones: 1 },
      unattributedJourneyIds: [],
    });
    expect(summary.sendIndexEntriesDeleted).toBeGreaterThanOrEqual(1);
    expect(['TERMINATED', 'GONE']).toContain(await statusOf(journeyId));

    // No KV bucket names them any more: not in values, keys, history or delete markers.
    expect(await allBuckets()).toEqual(expect.arrayContaining(['nudge_caps', 'nudge_coupons', 'nudge_phones', 'nudge_sends', 'nudge_users']));
    for (const bucket of await allBuckets()) {
      const leaks = (await rawBucketContents(bucket)).filter((text) => mentions(text, erased).length > 0);
      expect(leaks, `personal data left in ${bucket}`).toEqual([]);
    }
    expect(mentions((await rawBucketContents('nudge_users')).join('\n'), bystander), 'the scan sees what is there').not.toEqual([]);

    // The send survives as an anonymous count.
    const sends = await new Kvm(stack.nc).open(SENDS_BUCKET);
    const anonymous = [];
    for await (const key of await sends.keys('anon.>')) anonymous.push((await sends.get(key))!.json<Record<string, unknown>>());
    expect(anonymous).toEqual([{ anonymous: true, status: 'sent', channel: 'email', ruleId: 'pricing-hesitation', stepId: 'coupon-email', date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }]);

    // The bystander keeps everything, and their journey goes on to send the SMS; the erased user gets none.
    const kept = await exportUser(stack.config, bystander.id);
    expect(kept.profile?.traits.email).toBe(bystander.email);
    expect(kept.sends).toHaveLength(1);
    expect(await ledger.setDeliveryStatus(`SM-${bystander.id}`, 'delivered')).toBe('updated');
    expect(await ledger.setDeliveryStatus(`SM-${erased.id}`, 'delivered')).toBe('not_found');
    expect(kept.coupons).toHaveLength(1);
    expect(kept.linkedEntries.map((e) => e.bucket)).toEqual(['nudge_caps', 'nudge_phones']);
    expect(kept.journeys.map((j) => j.workflowId)).toEqual([bystanderJourney]);
    await stack.twilio.waitFor((m) => m.to === bystander.phone, 4 * DAY_LENGTH_MS);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, emailAt + 2 * DAY_LENGTH_MS + 3000 - Date.now())));
    expect(stack.twilio.messages().filter((m) => m.to === erased.phone || m.body.includes(code))).toEqual([]);

    // Erasing again is safe and says there was nothing left; the export shows nothing held.
    const again = await eraseUser(stack.config, erased.id);
    expect(again.nothingFound).toBe(true);
    expect(formatEraseSummary(again)[0]).toMatch(/^nothing left to erase for user/);
    const after = await exportUser(stack.config, erased.id);
    expect(after).toMatchObject({ held: false, profile: null, journeys: [], sends: [], coupons: [], linkedEntries: [], events: [], unattributedJourneyIds: [] });
  }, 90_000);

  it('deletes a finished journey\'s history from Temporal too', async () => {
    const done = person('done', 1000);
    await enterFlagship(done);
    await stack.smtp.waitFor((m) => m.to.includes(done.email), 20_000);
    await stack.publish(track(done.id, 'order_completed', new Date(), { amount: 49 }));
    const journeyId = await journeyOf(done.id);
    await stack.temporal.workflow.getHandle(journeyId).result();
    const exported = await exportUser(stack.config, done.id);
    expect(exported.journeys).toEqual([expect.objectContaining({ workflowId: journeyId, status: 'COMPLETED', closeTime: expect.any(String) })]);

    // Temporal deletes a just-closed execution in the background, after about half a minute.
    const summary = await eraseUser(stack.config, done.id);
    expect(summary).toMatchObject({ journeysTerminated: [], journeysDeleted: [journeyId], journeysKept: [], profileDeleted: true, sendsAnonymized: 1 });
    expect(await statusOf(journeyId)).toBe('GONE');
    expect((await exportUser(stack.config, done.id)).held).toBe(false);
  }, 120_000);
});
