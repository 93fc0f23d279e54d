/**
 * Consent end to end on real servers: a marketing email carries RFC 8058 List-Unsubscribe headers that
 * point at the inbound service (NUDGE_PUBLIC_URL); the one-click POST publishes `unsubscribed`, the
 * engine writes it into the profile, and the journey's next email is skipped with reason no_consent and
 * never arrives — while a transactional email still does. A forged link gets 403 and changes nothing.
 * With onNoConsent "exit" the journey ends there. An SMS "STOP" through the signed Twilio webhook opts
 * the user out of SMS, transactional texts included. The same rules and events run in the simulator.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../engine/events/envelope';
import { DEV_TWILIO_AUTH_TOKEN } from '../../connectors/sms/twilio/twilio.config';
import { unsubscribeEvent } from '../../engine/inbound/unsubscribe-event';
import { createUnsubscribeToken, verifyUnsubscribeToken } from '../../engine/inbound/unsubscribe-links';
import { openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { simulate, type SimulationAction } from '../../engine/simulate/simulator';
import { StateStore } from '../../platform/stores/state-store';
import { loadRules } from '../../rules/load-rules';
import type { CapturedEmail } from '../../dev/capture/smtp-capture';
import { startStackWithInbound, type InboundStack } from '../support/inbound-stack';
import { identify, track } from '../support/stack';

const RULES = 'test/fixtures/guardrails/consent';
const SECRET = 'guardrails-consent-secret-0123456789';

/** What each journey does, as (step, action, reason) — the same on Temporal and in the simulator. */
const UNSUBSCRIBED_AFTER_WELCOME = [
  ['welcome', 'email'],
  ['pause', 'wait'],
  ['follow-up', 'skip', 'no_consent'],
  ['account', 'email'],
  [null, 'exit', 'completed'],
];
const NEVER_UNSUBSCRIBED = [
  ['welcome', 'email'],
  ['pause', 'wait'],
  ['follow-up', 'email'],
  ['account', 'email'],
  [null, 'exit', 'completed'],
];
const LEFT_FOR_NO_CONSENT = [
  ['tip-1', 'email'],
  ['pause', 'wait'],
  ['tip-2', 'skip', 'no_consent'],
  ['tip-2', 'exit', 'no_consent'],
];

const STOPPED_AFTER_FIRST_TEXT = [
  ['booking-offer', 'sms'],
  ['pause', 'wait'],
  ['reminder', 'skip', 'no_consent'],
  [null, 'exit', 'completed'],
];

/** One phone number per user: the phone directory maps a number to the user who has it. */
const PHONES: Record<string, string> = { alice: '+14155550142', bob: '+14155550143', carol: '+14155550144', dan: '+14155550145' };

const shape = (log: { step: string | null; action: string; reason?: unknown }[]) =>
  log.map((a) => (a.action === 'skip' || a.action === 'exit' ? [a.step, a.action, a.reason] : [a.step, a.action]));

describe('consent on NATS, Temporal, SMTP capture and the inbound service', () => {
  let stack: InboundStack;
  let publicUrl: string;

  beforeAll(async () => {
    // Unsubscribe links must point at this run's inbound service (startStackWithInbound sees to it).
    stack = await startStackWithInbound({ rules: RULES, env: { NUDGE_UNSUBSCRIBE_SECRET: SECRET } });
    publicUrl = stack.publicUrl;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const mailTo = (user: string) => stack.smtp.messages().filter((m) => m.to.includes(`${user}@example.com`));

  async function enter(user: string, event: string) {
    await stack.publish(identify(user, { email: `${user}@example.com`, phone: PHONES[user]!, first_name: user.toUpperCase() }, new Date(Date.now() - 60_000)));
    await stack.publish(track(user, event, new Date()));
  }

  const journeyOf = (user: string, ruleId: string) => stack.journeyResultOf(user, ruleId);

  /** The https/http link of a List-Unsubscribe header, as a mail client picks it. */
  function oneClickLink(email: CapturedEmail): string {
    expect(email.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const header = email.headers['list-unsubscribe'];
    expect(header, 'List-Unsubscribe header').toBeDefined();
    expect(header).toMatch(/<mailto:[^>]+>/);
    const link = /<(https?:\/\/[^>]+)>/.exec(header!)?.[1];
    expect(link, header).toBeDefined();
    expect(link!.startsWith(`${publicUrl}/u/`)).toBe(true);
    return link!;
  }

  const postOneClick = (url: string) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

  async function profileOf(user: string) {
    return (await new StateStore(await openBucket(stack.nc, USERS_BUCKET)).load(user)).state;
  }

  it('a one-click unsubscribe after the first email stops the second; the transactional email still comes', async () => {
    await enter('alice', 'signed_up');
    const welcome = await stack.smtp.waitFor((m) => m.to.includes('alice@example.com'), 20_000);
    expect(welcome.subject).toBe('Welcome, ALICE');
    const link = oneClickLink(welcome);
    expect(verifyUnsubscribeToken(link.slice(`${publicUrl}/u/`.length), SECRET)).toEqual({ userId: 'alice', channel: 'email', topic: 'marketing' });

    const response = await postOneClick(link);
    expect(response.status).toBe(200);
    stack.expectExtra(1); // the inbound service published `unsubscribed`; the engine applies it
    await stack.settle();
    expect((await profileOf('alice')).consent?.email?.marketing).toMatchObject({ granted: false, source: 'one-click' });

    const result = await journeyOf('alice', 'welcome-series');
    expect(result.reason).toBe('completed');
    expect(shape(result.log)).toEqual(UNSUBSCRIBED_AFTER_WELCOME);
    expect(result.log.find((a) => a.step === 'follow-up')).toMatchObject({ action: 'skip', reason: 'no_consent', detail: 'no email consent for topic "marketing"' });

    const account = await stack.smtp.waitFor((m) => m.to.includes('alice@example.com') && m.subject === 'Your account details', 10_000);
    expect(account.headers['list-unsubscribe']).toBeUndefined(); // transactional: no unsubscribe link
    expect(mailTo('alice').map((m) => m.subject)).toEqual(['Welcome, ALICE', 'Your account details']);
  });

  it('a forged or tampered link gets 403, publishes nothing, and the user still gets mail', async () => {
    await enter('bob', 'signed_up');
    const welcome = await stack.smtp.waitFor((m) => m.to.includes('bob@example.com'), 20_000);
    const link = oneClickLink(welcome);
    const token = link.slice(`${publicUrl}/u/`.length);
    const [payload, signature] = token.split('.') as [string, string];
    const forgeries = [
      createUnsubscribeToken({ userId: 'bob', channel: 'email', topic: 'marketing' }, 'not-the-secret-0123456789'),
      `${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`,
      `${Buffer.from(JSON.stringify({ userId: 'bob', channel: 'email', topic: 'all' })).toString('base64url')}.${signature}`,
    ];
    for (const forged of forgeries) {
      const response = await postOneClick(`${publicUrl}/u/${forged}`);
      expect(response.status, forged).toBe(403);
    }

    const result = await journeyOf('bob', 'welcome-series');
    expect(shape(result.log)).toEqual(NEVER_UNSUBSCRIBED);
    await stack.settle();
    expect(stack.outcomes.filter((o) => o.userKey === 'bob')).toHaveLength(2); // identify + signed_up, no unsubscribe
    expect((await profileOf('bob')).consent ?? {}).toEqual({});
    await stack.smtp.waitFor((m) => m.to.includes('bob@example.com') && m.subject === 'Your account details', 10_000);
    expect(mailTo('bob').map((m) => m.subject)).toEqual(['Welcome, BOB', 'Three tips for your first week', 'Your account details']);
    expect(mailTo('bob')[1]!.headers['list-unsubscribe']).toContain(`${publicUrl}/u/`);
  });

  it('onNoConsent "exit": unsubscribing from the topic ends the journey at the next message', async () => {
    await enter('carol', 'trial_started');
    const tip = await stack.smtp.waitFor((m) => m.to.includes('carol@example.com'), 20_000);
    expect(tip.subject).toBe('Tip 1');
    const link = oneClickLink(tip);
    expect(verifyUnsubscribeToken(link.slice(`${publicUrl}/u/`.length), SECRET)).toEqual({ userId: 'carol', channel: 'email', topic: 'tips' });
    expect((await postOneClick(link)).status).toBe(200);
    stack.expectExtra(1);
    await stack.settle();

    const result = await journeyOf('carol', 'tips-series');
    expect(result.reason).toBe('no_consent');
    expect(shape(result.log)).toEqual(LEFT_FOR_NO_CONSENT);
    expect(mailTo('carol').map((m) => m.subject)).toEqual(['Tip 1']);
    expect(stack.twilio.messages().filter((m) => m.body.includes('Tip 3'))).toHaveLength(0);
  });

  it('an SMS STOP through the signed Twilio webhook skips every later text, the transactional one too', async () => {
    await enter('dan', 'appointment_booked');
    const offer = await stack.twilio.waitFor((m) => m.to === PHONES.dan, 20_000);
    expect(offer.body).toContain('20% off');
    // The fake Twilio reports the text delivered to the inbound service, which publishes `sms_delivered` for dan.
    expect((await stack.twilio.waitForCallback((callback) => callback.sid === offer.sid && callback.status === 'delivered', 20_000)).answer).toBe(200);
    stack.expectExtra(1);

    // Twilio posts the reply to NUDGE_PUBLIC_URL/twilio/inbound, signed with the account's auth token.
    const fields = { From: PHONES.dan!, To: '+15005550006', Body: 'STOP', MessageSid: `SM${'5'.repeat(32)}`, AccountSid: `AC${'0'.repeat(32)}` };
    const signature = twilio.getExpectedTwilioSignature(DEV_TWILIO_AUTH_TOKEN, `${publicUrl}/twilio/inbound`, fields);
    const response = await fetch(`${publicUrl}/twilio/inbound`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
      body: new URLSearchParams(fields).toString(),
    });
    expect(response.status).toBe(200);
    stack.expectExtra(1);
    await stack.settle();
    expect((await profileOf('dan')).consent?.sms?.all).toMatchObject({ granted: false, source: 'sms-stop' });

    const result = await journeyOf('dan', 'appointment-reminders');
    expect(shape(result.log)).toEqual(STOPPED_AFTER_FIRST_TEXT);
    expect(stack.twilio.messages().filter((m) => m.to === PHONES.dan).map((m) => m.body)).toEqual([offer.body]);
  });
});

describe('consent in the simulator: the same rules and events', () => {
  const rules = loadRules([RULES]);
  const T0 = Date.parse('2025-05-01T12:00:00.000Z');
  const at = (ms: number) => new Date(T0 + ms);
  const profile = (user: string) => identify(user, { email: `${user}@example.com`, phone: PHONES[user] ?? '+14155550100', first_name: user.toUpperCase() }, at(-60_000));
  /** The event the inbound service publishes for a one-click unsubscribe. */
  const oneClick = (user: string, topic: string, ms: number): EventEnvelope =>
    unsubscribeEvent({ userId: user, channel: 'email', topic, source: 'one-click', dedupeKey: `link\n${user}/${topic}` }, at(ms));

  const journeyOf = (actions: SimulationAction[], user: string, ruleId: string) => actions.filter((a) => a.userId === user && a.ruleId === ruleId && a.action !== 'enter');

  it('an unsubscribed event between the two emails makes the second a no_consent skip; the transactional one still goes', async () => {
    const actions = await simulate({
      rules,
      env: {},
      events: [profile('alice'), track('alice', 'signed_up', at(0)), oneClick('alice', 'marketing', 1000), profile('bob'), track('bob', 'signed_up', at(0))],
    });
    const alice = journeyOf(actions, 'alice', 'welcome-series');
    expect(shape(alice)).toEqual(UNSUBSCRIBED_AFTER_WELCOME);
    expect(alice.find((a) => a.step === 'follow-up')).toMatchObject({ action: 'skip', reason: 'no_consent', at: at(4000).toISOString() });
    expect(alice.filter((a) => a.action === 'email').map((a) => a.subject)).toEqual(['Welcome, ALICE', 'Your account details']);
    expect(shape(journeyOf(actions, 'bob', 'welcome-series'))).toEqual(NEVER_UNSUBSCRIBED);
  });

  it('an unsubscribe from another topic, or one dated after the journey, changes nothing', async () => {
    const actions = await simulate({
      rules,
      env: {},
      events: [profile('dora'), track('dora', 'signed_up', at(0)), oneClick('dora', 'tips', 1000), profile('emil'), track('emil', 'signed_up', at(0)), oneClick('emil', 'marketing', 60_000)],
    });
    expect(shape(journeyOf(actions, 'dora', 'welcome-series'))).toEqual(NEVER_UNSUBSCRIBED);
    expect(shape(journeyOf(actions, 'emil', 'welcome-series'))).toEqual(NEVER_UNSUBSCRIBED);
  });

  it('onNoConsent "exit": the journey exits with reason no_consent', async () => {
    const actions = await simulate({ rules, env: {}, events: [profile('carol'), track('carol', 'trial_started', at(0)), oneClick('carol', 'tips', 2000)] });
    expect(shape(journeyOf(actions, 'carol', 'tips-series'))).toEqual(LEFT_FOR_NO_CONSENT);
  });

  it('an SMS STOP between the two texts skips the transactional reminder too', async () => {
    const stop = unsubscribeEvent({ userId: 'dan', channel: 'sms', topic: 'all', source: 'sms-stop', dedupeKey: `sms-stop\ndan\n${PHONES.dan}` }, at(1000));
    const actions = await simulate({ rules, env: {}, events: [profile('dan'), track('dan', 'appointment_booked', at(0)), stop] });
    expect(shape(journeyOf(actions, 'dan', 'appointment-reminders'))).toEqual(STOPPED_AFTER_FIRST_TEXT);
  });

  it('opt-in mode (NUDGE_CONSENT_MODE): marketing needs a grant; the transactional email needs none', async () => {
    const actions = await simulate({
      rules,
      env: { NUDGE_CONSENT_MODE: 'opt-in' },
      events: [
        profile('fay'), track('fay', 'signed_up', at(0)),
        profile('gus'), identify('gus', { consent: { email: true } }, at(-30_000)), track('gus', 'signed_up', at(0)),
      ],
    });
    expect(shape(journeyOf(actions, 'fay', 'welcome-series'))).toEqual([
      ['welcome', 'skip', 'no_consent'],
      ['pause', 'wait'],
      ['follow-up', 'skip', 'no_consent'],
      ['account', 'email'],
      [null, 'exit', 'completed'],
    ]);
    expect(shape(journeyOf(actions, 'gus', 'welcome-series'))).toEqual(NEVER_UNSUBSCRIBED);
  });
});
