/**
 * The journey step machine, specified as journeys, step type by step type: a rule's steps plus a
 * sequence of inputs (perform results, condition answers, timers firing) give the log the journey
 * writes, the commands it asks for and how it ends. The driver (test/support/unit-journey-driver.ts)
 * plays the Temporal workflow's part on a virtual clock. Events during a journey (waitForEvent, exitOn)
 * are specified in machine-events.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { STEP_ROLE, walkSteps } from '../../rules/schema/step-tree';
import { done, fails, holds, iso, skipped, timer } from '../../test/support/unit-journey-driver';
import { branch, coupon, email, exit, sms, wait, waitForEvent, waitUntil, webhook } from '../../test/support/unit-rules';
import { at, completed, DAY, expectJourney, PAID, t0, type JourneySpec } from '../../test/support/unit-journey-fixtures';
import type { JourneyAction } from './machine';

const specs: JourneySpec[] = [
  // --- action steps ---------------------------------------------------------------------------
  {
    name: 'coupon: the issued code is logged and remembered for later steps, across waits',
    steps: [coupon('issue', { prefix: 'SAVE10-' }), wait('pause', '1d'), sms('remind')],
    inputs: [done({ code: 'SAVE10-AB12' }), timer, done({ sid: 'SM1' })],
    log: [
      { at: t0, step: 'issue', action: 'coupon', code: 'SAVE10-AB12' },
      { at: t0, step: 'pause', action: 'wait', until: iso(t0 + DAY) },
      { at: t0 + DAY, step: 'remind', action: 'sms', sid: 'SM1' },
      completed(t0 + DAY),
    ],
    reason: 'completed',
    coupon: 'SAVE10-AB12',
  },
  {
    name: 'email: sent, logged with the provider details, then the next step',
    steps: [email('mail'), sms('text')],
    inputs: [done({ messageId: '<m1@nudge>' }), done({ sid: 'SM1' })],
    log: [{ at: t0, step: 'mail', action: 'email', messageId: '<m1@nudge>' }, { at: t0, step: 'text', action: 'sms', sid: 'SM1' }, completed(t0)],
    reason: 'completed',
    asked: ['perform mail', 'perform text', 'finish completed'],
  },
  {
    name: 'sms: sent and logged',
    steps: [sms('text')],
    inputs: [done({ sid: 'SM123', to: '+14155550100' })],
    log: [{ at: t0, step: 'text', action: 'sms', sid: 'SM123', to: '+14155550100' }, completed(t0)],
    reason: 'completed',
  },
  {
    name: 'webhook: posted and logged',
    steps: [webhook('crm')],
    inputs: [done({ status: 204 })],
    log: [{ at: t0, step: 'crm', action: 'webhook', status: 204 }, completed(t0)],
    reason: 'completed',
  },
  {
    name: 'a skipped perform logs a skip with the reason and detail, and the journey goes on',
    steps: [email('mail'), sms('text')],
    inputs: [skipped('invalid_address', 'no MX record for example.invalid'), done({ sid: 'SM1' })],
    log: [
      { at: t0, step: 'mail', action: 'skip', reason: 'invalid_address', detail: 'no MX record for example.invalid' },
      { at: t0, step: 'text', action: 'sms', sid: 'SM1' },
      completed(t0),
    ],
    reason: 'completed',
  },
  {
    name: 'a skipped coupon leaves the journey without a code',
    steps: [coupon('issue', { pool: 'cart10' }), sms('text')],
    inputs: [skipped('pool_empty'), done()],
    log: [{ at: t0, step: 'issue', action: 'skip', reason: 'pool_empty' }, { at: t0, step: 'text', action: 'sms' }, completed(t0)],
    reason: 'completed',
  },

  // --- wait -----------------------------------------------------------------------------------
  {
    name: 'wait: the next step runs when the duration has passed',
    steps: [email('mail'), wait('two-days', '2d'), sms('text')],
    inputs: [done(), timer, done()],
    log: [
      { at: t0, step: 'mail', action: 'email' },
      { at: t0, step: 'two-days', action: 'wait', until: iso(t0 + 2 * DAY) },
      { at: t0 + 2 * DAY, step: 'text', action: 'sms' },
      completed(t0 + 2 * DAY),
    ],
    reason: 'completed',
    asked: ['perform mail', `wait two-days until ${iso(t0 + 2 * DAY)}`, 'perform text', 'finish completed'],
  },
  {
    name: 'wait: the duration is multiplied by waitScale (a day lasting a second)',
    waitScale: 1 / 86_400,
    steps: [wait('two-days', '2d'), sms('text')],
    inputs: [timer, done()],
    log: [{ at: t0, step: 'two-days', action: 'wait', until: iso(t0 + 2000) }, { at: t0 + 2000, step: 'text', action: 'sms' }, completed(t0 + 2000)],
    reason: 'completed',
  },

  // --- waitUntil ------------------------------------------------------------------------------
  {
    name: 'waitUntil: across the March DST change, 09:30 New York is 13:30Z (EDT), not 14:30Z',
    timezone: 'America/New_York',
    start: '2025-03-08T20:00:00.000Z', // Saturday 15:00 EST
    steps: [waitUntil('morning', '09:30'), email('tips')],
    inputs: [timer, done()],
    log: [
      { at: at('2025-03-08T20:00:00.000Z'), step: 'morning', action: 'wait', until: '2025-03-09T13:30:00.000Z', timezone: 'America/New_York' },
      { at: at('2025-03-09T13:30:00.000Z'), step: 'tips', action: 'email' },
      completed(at('2025-03-09T13:30:00.000Z')),
    ],
    reason: 'completed',
  },
  {
    name: 'waitUntil: across the November DST change, 09:30 New York is 14:30Z (EST), not 13:30Z',
    timezone: 'America/New_York',
    start: '2025-11-01T20:00:00.000Z', // Saturday 16:00 EDT
    steps: [waitUntil('morning', '09:30')],
    inputs: [timer],
    log: [
      { at: at('2025-11-01T20:00:00.000Z'), step: 'morning', action: 'wait', until: '2025-11-02T14:30:00.000Z', timezone: 'America/New_York' },
      completed(at('2025-11-02T14:30:00.000Z')),
    ],
    reason: 'completed',
  },
  {
    name: 'waitUntil: a time already past today waits for tomorrow',
    timezone: 'America/New_York',
    start: '2025-06-10T15:00:00.000Z', // 11:00 EDT
    steps: [waitUntil('morning', '09:30')],
    inputs: [],
    log: [{ at: at('2025-06-10T15:00:00.000Z'), step: 'morning', action: 'wait', until: '2025-06-11T13:30:00.000Z', timezone: 'America/New_York' }],
    reason: 'running',
  },
  {
    name: 'waitUntil: a time still ahead today waits for today',
    timezone: 'America/New_York',
    start: '2025-06-10T12:00:00.000Z', // 08:00 EDT
    steps: [waitUntil('morning', '09:30')],
    inputs: [],
    log: [{ at: at('2025-06-10T12:00:00.000Z'), step: 'morning', action: 'wait', until: '2025-06-10T13:30:00.000Z', timezone: 'America/New_York' }],
    reason: 'running',
  },
  {
    name: 'waitUntil: the step\'s own time zone wins over the journey\'s',
    timezone: 'America/New_York',
    steps: [waitUntil('morning', '09:30', 'Asia/Tokyo')], // START is 21:00 in Tokyo
    inputs: [],
    log: [{ at: t0, step: 'morning', action: 'wait', until: '2025-05-02T00:30:00.000Z', timezone: 'Asia/Tokyo' }],
    reason: 'running',
  },

  // --- branch ---------------------------------------------------------------------------------
  ...(
    [
      ['then', holds, [sms('call')], [email('tips')], 'call'],
      ['else', fails, [sms('call')], [email('tips')], 'tips'],
      ['then (empty list: falls through)', holds, [], [email('tips')], null],
      ['else (empty list: falls through)', fails, [sms('call')], [], null],
    ] as const
  ).map(([label, answer, thenSteps, elseSteps, ran]): JourneySpec => ({
    name: `branch -> ${label}, then the step after the branch`,
    steps: [branch('paid', PAID, [...thenSteps], [...elseSteps]), webhook('crm')],
    inputs: ran ? [answer, done(), done()] : [answer, done()],
    log: [
      { at: t0, step: 'paid', action: 'branch', branch: label.split(' ')[0] },
      ...(ran ? [{ at: t0, step: ran, action: ran === 'call' ? 'sms' : 'email' } as JourneyAction] : []),
      { at: t0, step: 'crm', action: 'webhook' },
      completed(t0),
    ],
    reason: 'completed',
    asked: ['evaluate paid', ...(ran ? [`perform ${ran}`] : []), 'perform crm', 'finish completed'],
  })),

  // --- split ----------------------------------------------------------------------------------
  {
    name: 'split: the user goes down the variant the hash picks (rule, user, step), then the step after the split',
    steps: [{ id: 'ab', type: 'split', variants: [{ name: 'short', weight: 50, steps: [sms('text')] }, { name: 'long', weight: 50, steps: [email('mail')] }] }, webhook('crm')],
    inputs: [done(), done()],
    log: [{ at: t0, step: 'ab', action: 'branch', branch: 'short' }, { at: t0, step: 'text', action: 'sms' }, { at: t0, step: 'crm', action: 'webhook' }, completed(t0)],
    reason: 'completed',
    asked: ['perform text', 'perform crm', 'finish completed'],
  },

  // --- exit step ------------------------------------------------------------------------------
  {
    name: 'exit step: the journey ends there; later steps never run',
    steps: [email('mail'), exit('stop'), sms('never')],
    inputs: [done()],
    log: [{ at: t0, step: 'mail', action: 'email' }, { at: t0, step: 'stop', action: 'exit', reason: 'exit_step' }],
    reason: 'exit_step',
    asked: ['perform mail', 'finish exit_step'],
  },
  {
    name: 'exit step inside a branch ends the whole journey, not just the branch',
    steps: [branch('paid', PAID, [exit('stop')], []), sms('never')],
    inputs: [holds],
    log: [{ at: t0, step: 'paid', action: 'branch', branch: 'then' }, { at: t0, step: 'stop', action: 'exit', reason: 'exit_step' }],
    reason: 'exit_step',
  },

  // --- nesting --------------------------------------------------------------------------------
  {
    name: 'nested lists continue after their enclosing step, level by level',
    steps: [
      branch('paid', PAID, [waitForEvent('await-demo', 'demo_booked', '1d', [], [sms('call')]), email('inner-last')], []),
      webhook('crm'),
    ],
    inputs: [holds, timer, done(), done(), done()],
    log: [
      { at: t0, step: 'paid', action: 'branch', branch: 'then' },
      { at: t0, step: 'await-demo', action: 'wait', until: iso(t0 + DAY), for: 'demo_booked' },
      { at: t0 + DAY, step: 'await-demo', action: 'branch', branch: 'timeout' },
      { at: t0 + DAY, step: 'call', action: 'sms' },
      { at: t0 + DAY, step: 'inner-last', action: 'email' },
      { at: t0 + DAY, step: 'crm', action: 'webhook' },
      completed(t0 + DAY),
    ],
    reason: 'completed',
  },
];

describe('journey step machine', () => {
  it.each(specs)('$name', expectJourney);

  // This file's specifications alone cover every step type (waitForEvent in the nesting case).
  it('every step type has a specification', () => {
    const covered = new Set(specs.flatMap((spec) => [...walkSteps(spec.steps)].map(([step]) => step.type)));
    expect([...covered].sort()).toEqual(Object.keys(STEP_ROLE).sort());
  });
});
