/**
 * Quiet hours end to end. In the simulator the clock is virtual: an SMS due at 23:00 in Shanghai
 * (15:00Z) with quiet hours 21:00-09:00 goes out at 09:00 Shanghai (01:00Z) the next day, whether the
 * quiet hours come from the rule or from NUDGE_QUIET_HOURS; a rule's `quietHours: { sms: false }` turns
 * the global ones off. On Temporal the wall clock cannot be chosen, so the quiet window is derived from
 * the current time in the user's zone: it began this minute and ends at a minute boundary a minute or
 * two ahead, and the SMS must wait for that boundary while the email goes out at once.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate, type SimulationAction } from '../../engine/simulate/simulator';
import { loadRules } from '../../rules/load-rules';
import { identify, startStack, track, type Stack } from '../support/stack';

const DIR = 'test/fixtures/guardrails/quiet-hours';
const SHANGHAI = 'Asia/Shanghai';
const PHONE = '+8613812345678';
const NIGHT_SMS = JSON.stringify({ sms: { start: '21:00', end: '09:00' } });

describe('quiet hours in the simulator', () => {
  const rulesOf = (...names: string[]) => loadRules(names.map((name) => `${DIR}/${name}.json`));
  /** 23:00 in Shanghai. */
  const LATE_EVENING = '2025-05-01T15:00:00.000Z';
  /** 09:00 in Shanghai the next morning. */
  const NEXT_MORNING = '2025-05-02T01:00:00.000Z';
  /** Far enough for any deferral here; see the separate case for the default horizon. */
  const UNTIL = Date.parse('2025-05-03T00:00:00.000Z');

  const profile = (user: string, traits: Record<string, unknown> = { timezone: SHANGHAI }) =>
    identify(user, { email: `${user}@example.com`, phone: PHONE, ...traits }, new Date(Date.parse(LATE_EVENING) - 3_600_000));
  const timeline = (actions: SimulationAction[], user: string) =>
    actions.filter((a) => a.userId === user).map((a) => [a.at, a.step, a.action, ...(a.reason ? [a.reason] : [])]);

  const deferredToMorning = (first: string, second: string) => [
    [LATE_EVENING, null, 'enter'],
    [LATE_EVENING, first, 'email'],
    [LATE_EVENING, second, 'wait', 'quiet_hours'],
    [NEXT_MORNING, second, 'sms'],
    [NEXT_MORNING, null, 'exit', 'completed'],
  ];

  it("the rule's quiet hours defer an SMS due at 23:00 Shanghai to 09:00 Shanghai (01:00Z) the next day", async () => {
    const actions = await simulate({ rules: rulesOf('night-sms'), env: {}, until: UNTIL, events: [profile('mei'), track('mei', 'cart_abandoned', LATE_EVENING)] });
    expect(timeline(actions, 'mei')).toEqual(deferredToMorning('cart-email', 'cart-sms'));
    expect(actions.find((a) => a.action === 'sms')).toMatchObject({ at: NEXT_MORNING, to: PHONE, body: 'Your cart is saved.' });
  });

  it('global NUDGE_QUIET_HOURS (given as the simulation env) do the same for a rule without its own', async () => {
    const actions = await simulate({ rules: rulesOf('evening-offer'), env: { NUDGE_QUIET_HOURS: NIGHT_SMS }, until: UNTIL, events: [profile('li'), track('li', 'offer_viewed', LATE_EVENING)] });
    expect(timeline(actions, 'li')).toEqual(deferredToMorning('offer-email', 'offer-sms'));
  });

  it('without quiet hours the SMS goes out at once', async () => {
    const actions = await simulate({ rules: rulesOf('evening-offer'), env: {}, until: UNTIL, events: [profile('li'), track('li', 'offer_viewed', LATE_EVENING)] });
    expect(timeline(actions, 'li')).toEqual([
      [LATE_EVENING, null, 'enter'],
      [LATE_EVENING, 'offer-email', 'email'],
      [LATE_EVENING, 'offer-sms', 'sms'],
      [LATE_EVENING, null, 'exit', 'completed'],
    ]);
  });

  it('a rule with quietHours { sms: false } turns the global SMS quiet hours off', async () => {
    const actions = await simulate({
      rules: rulesOf('urgent-sms', 'evening-offer'),
      env: { NUDGE_QUIET_HOURS: NIGHT_SMS },
      until: UNTIL,
      events: [profile('wu'), track('wu', 'delivery_delayed', LATE_EVENING), track('wu', 'offer_viewed', LATE_EVENING)],
    });
    const sms = actions.filter((a) => a.action === 'sms').map((a) => [a.ruleId, a.at]);
    expect(sms).toEqual([['urgent-sms', LATE_EVENING], ['evening-offer', NEXT_MORNING]]);
  });

  it('policy skip drops the SMS with reason quiet_hours', async () => {
    const env = { NUDGE_QUIET_HOURS: JSON.stringify({ sms: { start: '21:00', end: '09:00', policy: 'skip' } }) };
    const actions = await simulate({ rules: rulesOf('evening-offer'), env, until: UNTIL, events: [profile('li'), track('li', 'offer_viewed', LATE_EVENING)] });
    expect(timeline(actions, 'li')).toEqual([
      [LATE_EVENING, null, 'enter'],
      [LATE_EVENING, 'offer-email', 'email'],
      [LATE_EVENING, 'offer-sms', 'skip', 'quiet_hours'],
      [LATE_EVENING, null, 'exit', 'completed'],
    ]);
  });

  it("the zone is the user's timezone trait, else NUDGE_DEFAULT_TIMEZONE", async () => {
    const events = [profile('ny', { timezone: 'America/New_York' }), track('ny', 'offer_viewed', LATE_EVENING), profile('nobody', {}), track('nobody', 'offer_viewed', LATE_EVENING)];
    const actions = await simulate({ rules: rulesOf('evening-offer'), env: { NUDGE_QUIET_HOURS: NIGHT_SMS, NUDGE_DEFAULT_TIMEZONE: SHANGHAI }, until: UNTIL, events });
    expect(actions.find((a) => a.userId === 'ny' && a.action === 'sms')?.at).toBe(LATE_EVENING); // 11:00 in New York
    expect(actions.find((a) => a.userId === 'nobody' && a.action === 'sms')?.at).toBe(NEXT_MORNING);
  });

  it('without --until the simulation runs on until a deferred SMS has gone out', async () => {
    const actions = await simulate({ rules: rulesOf('night-sms'), env: {}, events: [profile('mei'), track('mei', 'cart_abandoned', LATE_EVENING)] });
    expect(timeline(actions, 'mei')).toEqual(deferredToMorning('cart-email', 'cart-sms'));
  });
});

describe('quiet hours on NATS, Temporal and the fake Twilio API', () => {
  let stack: Stack;
  /** The end of the quiet window: the first allowed moment, a local minute boundary in Shanghai. */
  let boundary: number;

  beforeAll(async () => {
    // The window starts at the current local minute and ends one minute boundary ahead, or two when
    // this minute is nearly over, so the trigger (a few seconds after the stack starts) falls inside it.
    const now = DateTime.now().setZone(SHANGHAI);
    const start = now.startOf('minute');
    const end = start.plus({ minutes: now.second < 30 ? 1 : 2 });
    boundary = end.toMillis();
    const quietHours = JSON.stringify({ sms: { start: start.toFormat('HH:mm'), end: end.toFormat('HH:mm') } });
    stack = await startStack({ rules: DIR, env: { NUDGE_QUIET_HOURS: quietHours } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const journeyOf = (user: string, ruleId: string) => stack.journeyResultOf(user, ruleId);

  it('an SMS inside quiet hours waits for their end in the user\'s zone; the email goes out at once', { timeout: 180_000 }, async () => {
    expect(boundary - Date.now(), 'the stack started too late for this quiet window').toBeGreaterThan(10_000);
    await stack.publish(identify('mei', { email: 'mei@example.com', phone: PHONE, timezone: SHANGHAI }, new Date(Date.now() - 60_000)));
    await stack.publish(track('mei', 'offer_viewed', new Date()));

    const email = await stack.smtp.waitFor((m) => m.to.includes('mei@example.com'), 20_000);
    expect(email.receivedAt.getTime()).toBeLessThan(boundary);
    expect(stack.twilio.messages().filter((m) => m.to === PHONE)).toHaveLength(0);

    const sms = await stack.twilio.waitFor((m) => m.to === PHONE, boundary - Date.now() + 30_000);
    expect(sms.receivedAt.getTime()).toBeGreaterThanOrEqual(boundary);
    expect(sms.body).toBe('10% off until Sunday.');

    const result = await journeyOf('mei', 'evening-offer');
    expect(result.log.map((a) => [a.step, a.action])).toEqual([['offer-email', 'email'], ['offer-sms', 'wait'], ['offer-sms', 'sms'], [null, 'exit']]);
    const quiet = result.log[1]!;
    expect(quiet).toMatchObject({ reason: 'quiet_hours', until: new Date(boundary).toISOString(), timezone: SHANGHAI });
    expect(quiet.at).toBeLessThan(boundary);
    expect(result.log[2]!.at).toBeGreaterThanOrEqual(boundary);
  });
});
