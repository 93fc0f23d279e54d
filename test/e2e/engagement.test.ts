/**
 * The engagement loop end to end: a rule with `tracking` texts a link rewritten to a signed redirect;
 * the Twilio connector sends the StatusCallback (NUDGE_PUBLIC_URL/twilio/status with the message ref),
 * the fake Twilio posts its signed delivery report there, `nudge inbound` publishes `sms_delivered` and
 * a rule reacts to it; following the link redirects to the target and `sms_clicked` starts another rule.
 * A hard bounce reported for an email (by the X-Nudge-Ref header it arrived with) unsubscribes its
 * person from email in the profile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailEventsSignature } from '../../engine/inbound/email-events';
import { openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { StateStore } from '../../platform/stores/state-store';
import { startStackWithInbound, type InboundStack } from '../support/inbound-stack';
import { identify, track } from '../support/stack';

const EMAIL_EVENTS_SECRET = 'engagement-e2e-email-events-secret';

describe('engagement events on NATS, Temporal, the fake Twilio and the inbound service', () => {
  let stack: InboundStack;
  let publicUrl: string;

  beforeAll(async () => {
    stack = await startStackWithInbound({ rules: 'test/fixtures/engagement', env: { NUDGE_TRACKING_SECRET: 'engagement-e2e-tracking-secret', NUDGE_EMAIL_EVENTS_SECRET: EMAIL_EVENTS_SECRET } });
    publicUrl = stack.publicUrl;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a delivered text becomes sms_delivered that a rule reacts to; a click redirects and becomes sms_clicked', async () => {
    await stack.publish(identify('erin', { email: 'erin@example.com', phone: '+14155550166', first_name: 'Erin' }, new Date(Date.now() - 60_000)));
    await stack.publish(track('erin', 'offer_requested', new Date()));

    const text = await stack.twilio.waitFor((message) => message.to === '+14155550166', 20_000);
    expect(text.statusCallback).toMatch(new RegExp(`^${publicUrl}/twilio/status\\?ref=`));
    const link = new RegExp(`(${publicUrl}/c/[A-Za-z0-9_.-]+)\\.$`).exec(text.body)?.[1];
    expect(link, text.body).toBeDefined();

    // The fake reports `sent`, then `delivered`, signed like Twilio; only `delivered` is an event.
    expect((await stack.twilio.waitForCallback((callback) => callback.sid === text.sid && callback.status === 'delivered', 20_000)).answer).toBe(200);
    stack.expectExtra(1);
    const receipt = await stack.smtp.waitFor((mail) => mail.to.includes('erin@example.com') && mail.subject.startsWith('Your offer reached'), 30_000);
    expect(receipt.subject).toBe('Your offer reached sms');
    expect(receipt.text).toContain('Delivered (delivered).');

    const click = await fetch(link!, { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://clinic.test/offer?code=SPRING');
    stack.expectExtra(1);
    const thanks = await stack.smtp.waitFor((mail) => mail.to.includes('erin@example.com') && mail.subject.startsWith('You opened'), 30_000);
    expect(thanks.subject).toBe('You opened https://clinic.test/offer?code=SPRING');

    expect((await stack.journeyResultOf('erin', 'delivered-receipt')).reason).toBe('completed');
    expect((await stack.journeyResultOf('erin', 'clicked-followup')).reason).toBe('completed');
    // The provider reports the receipt email bounced, quoting its X-Nudge-Ref header.
    const ref = receipt.headers['x-nudge-ref'];
    expect(ref, 'X-Nudge-Ref header').toBeDefined();
    const body = JSON.stringify({ events: [{ type: 'bounce', bounceType: 'hard', ref, reason: '550 5.1.1 user unknown', id: 'bounce-1' }] });
    const bounce = await fetch(`${publicUrl}/email/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Nudge-Signature': emailEventsSignature(EMAIL_EVENTS_SECRET, body, new Date()) }, body });
    expect(await bounce.json()).toEqual({ results: [{ index: 0, outcome: 'published' }] });
    stack.expectExtra(2); // email_bounced and unsubscribed
    await stack.settle();
    const profile = (await new StateStore(await openBucket(stack.nc, USERS_BUCKET)).load('erin')).state;
    expect(profile.consent?.email?.all).toMatchObject({ granted: false, source: 'hard_bounce' });

    const forged = await fetch(`${link!.slice(0, -1)}${link!.endsWith('A') ? 'B' : 'A'}`, { redirect: 'manual' }); // one character of the signature changed
    expect(forged.status).toBe(403);
  });
});
