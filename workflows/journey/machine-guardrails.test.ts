/**
 * Guardrails in the journey step machine, specified as journeys on a virtual clock: quiet hours (defer
 * to the first allowed minute in the user's zone, or skip), sends deferred by the activities (frequency
 * caps), no_consent skips with onNoConsent continue / exit, and the holdout control group. The driver
 * (test/support/unit-journey-driver.ts) plays the Temporal workflow's part.
 */
import { describe, expect, it } from 'vitest';
import type { QuietHours } from '../../rules/schema/guardrails';
import type { Step } from '../../rules/schema/steps';
import { done, event, iso, runJourney, skipped, timer, type DriverInput, type JourneySetup } from '../../test/support/unit-journey-driver';
import { coupon, email, ruleOf, sms, wait, webhook } from '../../test/support/unit-rules';
import { machineContextFor, type JourneyInput } from './journey-input';
import type { ExitReason, JourneyAction } from './machine';

const SHANGHAI = 'Asia/Shanghai';
const NIGHT: QuietHours = { start: '21:00', end: '09:00', policy: 'defer' };
const NIGHT_SKIP: QuietHours = { ...NIGHT, policy: 'skip' };
const at = (text: string) => Date.parse(text);
const HOUR = 3_600_000;

/** 23:00 in Shanghai; quiet hours there end at 09:00 Shanghai = 01:00Z the next day. */
const LATE_EVENING = '2025-05-01T15:00:00.000Z';
const NEXT_MORNING = '2025-05-02T01:00:00.000Z';

const deferred = (reason: string, until: number): DriverInput => ({ kind: 'perform', result: { status: 'deferred', reason, until } });
const completed = (when: number): JourneyAction => ({ at: when, step: null, action: 'exit', reason: 'completed' });

interface GuardrailSpec extends Partial<JourneySetup> {
  name: string;
  start: string;
  steps: Step[];
  inputs: DriverInput[];
  log: JourneyAction[];
  reason: ExitReason | 'running';
  asked?: string[];
}

const specs: GuardrailSpec[] = [
  // --- quiet hours ------------------------------------------------------------------------------
  {
    name: 'quiet hours, defer: an SMS due at 23:00 Shanghai waits until 09:00 Shanghai the next day, then goes out',
    start: LATE_EVENING,
    timezone: SHANGHAI,
    quietHours: { sms: NIGHT },
    steps: [sms('text')],
    inputs: [timer, done({ sid: 'SM1' })],
    log: [
      { at: at(LATE_EVENING), step: 'text', action: 'wait', until: NEXT_MORNING, reason: 'quiet_hours', timezone: SHANGHAI },
      { at: at(NEXT_MORNING), step: 'text', action: 'sms', sid: 'SM1' },
      completed(at(NEXT_MORNING)),
    ],
    reason: 'completed',
    asked: [`wait text until ${NEXT_MORNING}`, 'perform text', 'finish completed'],
  },
  {
    name: 'quiet hours, skip: the SMS is dropped with reason quiet_hours and the journey goes on',
    start: LATE_EVENING,
    timezone: SHANGHAI,
    quietHours: { sms: NIGHT_SKIP },
    steps: [sms('text'), webhook('crm')],
    inputs: [done({ status: 204 })],
    log: [
      { at: at(LATE_EVENING), step: 'text', action: 'skip', reason: 'quiet_hours' },
      { at: at(LATE_EVENING), step: 'crm', action: 'webhook', status: 204 },
      completed(at(LATE_EVENING)),
    ],
    reason: 'completed',
    asked: ['perform crm', 'finish completed'],
  },
  {
    name: 'quiet hours are per channel: the email goes out at once, only the SMS waits',
    start: LATE_EVENING,
    timezone: SHANGHAI,
    quietHours: { sms: NIGHT },
    steps: [email('mail'), sms('text')],
    inputs: [done(), timer, done()],
    log: [
      { at: at(LATE_EVENING), step: 'mail', action: 'email' },
      { at: at(LATE_EVENING), step: 'text', action: 'wait', until: NEXT_MORNING, reason: 'quiet_hours', timezone: SHANGHAI },
      { at: at(NEXT_MORNING), step: 'text', action: 'sms' },
      completed(at(NEXT_MORNING)),
    ],
    reason: 'completed',
  },
  {
    name: 'quiet hours never hold coupons or webhooks',
    start: LATE_EVENING,
    timezone: SHANGHAI,
    quietHours: { email: NIGHT, sms: NIGHT },
    steps: [coupon('code'), webhook('crm')],
    inputs: [done({ code: 'C1' }), done()],
    log: [{ at: at(LATE_EVENING), step: 'code', action: 'coupon', code: 'C1' }, { at: at(LATE_EVENING), step: 'crm', action: 'webhook' }, completed(at(LATE_EVENING))],
    reason: 'completed',
  },
  {
    name: 'quiet hours are read in the journey\'s zone: 15:00Z is afternoon in UTC, so nothing waits',
    start: LATE_EVENING,
    timezone: 'UTC',
    quietHours: { sms: NIGHT },
    steps: [sms('text')],
    inputs: [done()],
    log: [{ at: at(LATE_EVENING), step: 'text', action: 'sms' }, completed(at(LATE_EVENING))],
    reason: 'completed',
  },
  {
    name: 'outside quiet hours (10:00 Shanghai) the SMS goes out at once',
    start: '2025-05-02T02:00:00.000Z',
    timezone: SHANGHAI,
    quietHours: { sms: NIGHT },
    steps: [sms('text')],
    inputs: [done()],
    log: [{ at: at('2025-05-02T02:00:00.000Z'), step: 'text', action: 'sms' }, completed(at('2025-05-02T02:00:00.000Z'))],
    reason: 'completed',
  },
  {
    name: 'a wait that ends inside quiet hours: the SMS after it is deferred again to the morning',
    start: '2025-05-01T12:00:00.000Z', // 20:00 Shanghai
    timezone: SHANGHAI,
    quietHours: { sms: NIGHT },
    steps: [email('mail'), wait('pause', '2h'), sms('text')],
    inputs: [done(), timer, timer, done()],
    log: [
      { at: at('2025-05-01T12:00:00.000Z'), step: 'mail', action: 'email' },
      { at: at('2025-05-01T12:00:00.000Z'), step: 'pause', action: 'wait', until: '2025-05-01T14:00:00.000Z' },
      { at: at('2025-05-01T14:00:00.000Z'), step: 'text', action: 'wait', until: NEXT_MORNING, reason: 'quiet_hours', timezone: SHANGHAI },
      { at: at(NEXT_MORNING), step: 'text', action: 'sms' },
      completed(at(NEXT_MORNING)),
    ],
    reason: 'completed',
  },
  {
    name: 'an exit event during a quiet-hours wait ends the journey before the SMS',
    start: LATE_EVENING,
    timezone: SHANGHAI,
    quietHours: { sms: NIGHT },
    exitOn: [{ event: 'order_completed' }],
    steps: [sms('text')],
    inputs: [event('order_completed', '2h', {}, 'order-1')],
    log: [
      { at: at(LATE_EVENING), step: 'text', action: 'wait', until: NEXT_MORNING, reason: 'quiet_hours', timezone: SHANGHAI },
      { at: at(LATE_EVENING) + 2 * HOUR, step: null, action: 'exit', reason: 'exit_event', event: 'order_completed', messageId: 'order-1' },
    ],
    reason: 'exit_event',
  },

  // --- sends deferred by the activities (frequency cap, policy defer) -------------------------
  {
    name: 'a deferred send waits until the given time and is tried again',
    start: '2025-05-01T04:00:00.000Z', // 12:00 Shanghai
    timezone: SHANGHAI,
    steps: [sms('text'), webhook('crm')],
    inputs: [deferred('frequency_cap', at('2025-05-01T06:00:00.000Z')), timer, done({ sid: 'SM1' }), done()],
    log: [
      { at: at('2025-05-01T04:00:00.000Z'), step: 'text', action: 'wait', until: '2025-05-01T06:00:00.000Z', reason: 'frequency_cap' },
      { at: at('2025-05-01T06:00:00.000Z'), step: 'text', action: 'sms', sid: 'SM1' },
      { at: at('2025-05-01T06:00:00.000Z'), step: 'crm', action: 'webhook' },
      completed(at('2025-05-01T06:00:00.000Z')),
    ],
    reason: 'completed',
    asked: ['perform text', 'wait text until 2025-05-01T06:00:00.000Z', 'perform text', 'perform crm', 'finish completed'],
  },
  {
    name: 'a send deferred into quiet hours waits again for their end',
    start: '2025-05-01T12:00:00.000Z', // 20:00 Shanghai
    timezone: SHANGHAI,
    quietHours: { sms: NIGHT },
    steps: [sms('text')],
    inputs: [deferred('frequency_cap', at('2025-05-01T14:00:00.000Z')), timer, timer, done()],
    log: [
      { at: at('2025-05-01T12:00:00.000Z'), step: 'text', action: 'wait', until: '2025-05-01T14:00:00.000Z', reason: 'frequency_cap' },
      { at: at('2025-05-01T14:00:00.000Z'), step: 'text', action: 'wait', until: NEXT_MORNING, reason: 'quiet_hours', timezone: SHANGHAI },
      { at: at(NEXT_MORNING), step: 'text', action: 'sms' },
      completed(at(NEXT_MORNING)),
    ],
    reason: 'completed',
  },

  // --- consent ---------------------------------------------------------------------------------
  {
    name: 'no_consent with onNoConsent continue (default): the skip is logged and the next step runs',
    start: '2025-05-01T04:00:00.000Z',
    steps: [email('first'), wait('pause', '1d'), email('second'), sms('text')],
    inputs: [done(), timer, skipped('no_consent', 'no email consent for topic "marketing"'), done()],
    log: [
      { at: at('2025-05-01T04:00:00.000Z'), step: 'first', action: 'email' },
      { at: at('2025-05-01T04:00:00.000Z'), step: 'pause', action: 'wait', until: '2025-05-02T04:00:00.000Z' },
      { at: at('2025-05-02T04:00:00.000Z'), step: 'second', action: 'skip', reason: 'no_consent', detail: 'no email consent for topic "marketing"' },
      { at: at('2025-05-02T04:00:00.000Z'), step: 'text', action: 'sms' },
      completed(at('2025-05-02T04:00:00.000Z')),
    ],
    reason: 'completed',
  },
  {
    name: 'no_consent with onNoConsent exit: the journey ends at the skipped step',
    start: '2025-05-01T04:00:00.000Z',
    onNoConsent: 'exit',
    steps: [email('first'), wait('pause', '1d'), email('second'), sms('text')],
    inputs: [done(), timer, skipped('no_consent')],
    log: [
      { at: at('2025-05-01T04:00:00.000Z'), step: 'first', action: 'email' },
      { at: at('2025-05-01T04:00:00.000Z'), step: 'pause', action: 'wait', until: '2025-05-02T04:00:00.000Z' },
      { at: at('2025-05-02T04:00:00.000Z'), step: 'second', action: 'skip', reason: 'no_consent' },
      { at: at('2025-05-02T04:00:00.000Z'), step: 'second', action: 'exit', reason: 'no_consent' },
    ],
    reason: 'no_consent',
    asked: ['perform first', 'wait pause until 2025-05-02T04:00:00.000Z', 'perform second', 'finish no_consent'],
  },
  {
    name: 'onNoConsent exit ends only on no_consent: other skips (no address) go on',
    start: '2025-05-01T04:00:00.000Z',
    onNoConsent: 'exit',
    steps: [email('first'), sms('text')],
    inputs: [skipped('no_address'), done()],
    log: [
      { at: at('2025-05-01T04:00:00.000Z'), step: 'first', action: 'skip', reason: 'no_address' },
      { at: at('2025-05-01T04:00:00.000Z'), step: 'text', action: 'sms' },
      completed(at('2025-05-01T04:00:00.000Z')),
    ],
    reason: 'completed',
  },

  // --- holdout ---------------------------------------------------------------------------------
  {
    name: 'holdout control: every action step is skipped with reason holdout; waits still pass; nothing is performed',
    start: LATE_EVENING,
    timezone: SHANGHAI,
    quietHours: { sms: NIGHT },
    control: true,
    steps: [coupon('code'), email('mail'), wait('pause', '1h'), sms('text')],
    inputs: [timer],
    log: [
      { at: at(LATE_EVENING), step: 'code', action: 'skip', reason: 'holdout' },
      { at: at(LATE_EVENING), step: 'mail', action: 'skip', reason: 'holdout' },
      { at: at(LATE_EVENING), step: 'pause', action: 'wait', until: iso(at(LATE_EVENING) + HOUR) },
      { at: at(LATE_EVENING) + HOUR, step: 'text', action: 'skip', reason: 'holdout' },
      completed(at(LATE_EVENING) + HOUR),
    ],
    reason: 'completed',
    asked: [`wait pause until ${iso(at(LATE_EVENING) + HOUR)}`, 'finish completed'],
  },
];

describe('journey guardrails in the step machine', () => {
  it.each(specs.map((spec) => [spec.name, spec] as const))('%s', (_name, spec) => {
    const run = runJourney(spec, spec.inputs);
    expect(run.log).toEqual(spec.log);
    expect(run.reason).toBe(spec.reason);
    if (spec.asked) expect(run.asked).toEqual(spec.asked);
  });
});

describe('machineContextFor: the guardrails a journey runs with', () => {
  const input = (overrides: Partial<JourneyInput> = {}, rule: Record<string, unknown> = {}): JourneyInput => ({
    v: 1,
    journeyId: 'journey/test-rule/u1/m1',
    userId: 'u1',
    rule: ruleOf({ steps: [sms('text')], ...rule }),
    trigger: { messageId: 'm1', event: 'page_viewed', timestamp: LATE_EVENING, properties: {} },
    traits: {},
    waitScale: 1,
    ...overrides,
  });

  it('the time zone is the user\'s trait, else the rule\'s, else the default, else UTC', () => {
    expect(machineContextFor(input({ traits: { timezone: SHANGHAI }, defaultTimezone: 'Europe/Berlin' }, { timezone: 'America/New_York' })).timezone).toBe(SHANGHAI);
    expect(machineContextFor(input({ defaultTimezone: 'Europe/Berlin' }, { timezone: 'America/New_York' })).timezone).toBe('America/New_York');
    expect(machineContextFor(input({ defaultTimezone: 'Europe/Berlin' })).timezone).toBe('Europe/Berlin');
    expect(machineContextFor(input()).timezone).toBe('UTC');
    expect(machineContextFor(input({ traits: { timezone: '' } }, { timezone: 'America/New_York' })).timezone).toBe('America/New_York');
  });

  it('takes the quiet hours resolved at entry, the control assignment and onNoConsent', () => {
    const ctx = machineContextFor(input({ quietHours: { sms: NIGHT }, assignment: 'control' }, { onNoConsent: 'exit' }));
    expect(ctx.quietHours).toEqual({ sms: NIGHT });
    expect(ctx.control).toBe(true);
    expect(ctx.onNoConsent).toBe('exit');
    const plain = machineContextFor(input({ assignment: 'treatment' }));
    expect(plain).toMatchObject({ quietHours: {}, control: false, onNoConsent: 'continue' });
  });
});
