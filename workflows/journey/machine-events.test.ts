/**
 * The journey step machine and the events that arrive during a journey, specified as journeys: what
 * a waitForEvent does with the event it waits for, another event, its conditions and its timeout, and
 * how exitOn ends a journey (during a wait, between steps, over a waitForEvent, with conditions). The
 * driver (test/support/unit-journey-driver.ts) plays the Temporal workflow's part on a virtual clock.
 */
import { describe, it } from 'vitest';
import { done, event, fails, holds, iso, timer } from '../../test/support/unit-journey-driver';
import { coupon, email, sms, wait, waitForEvent } from '../../test/support/unit-rules';
import { BIG_ORDER, checkoutWait, completed, DAY, expectJourney, HOUR, MINUTE, ORDER_EXITS, t0, type JourneySpec } from '../../test/support/unit-journey-fixtures';

const specs: JourneySpec[] = [
  // --- waitForEvent ---------------------------------------------------------------------------
  {
    name: 'waitForEvent: the event arrives in time -> onEvent, then the step after the wait',
    steps: checkoutWait(),
    inputs: [event('checkout_started', '10m', {}, 'co-1'), done(), done()],
    log: [
      { at: t0, step: 'await-checkout', action: 'wait', until: iso(t0 + HOUR), for: 'checkout_started' },
      { at: t0 + 10 * MINUTE, step: 'await-checkout', action: 'branch', branch: 'event', event: 'checkout_started', messageId: 'co-1' },
      { at: t0 + 10 * MINUTE, step: 'thanks', action: 'sms' },
      { at: t0 + 10 * MINUTE, step: 'crm', action: 'webhook' },
      completed(t0 + 10 * MINUTE),
    ],
    reason: 'completed',
  },
  {
    name: 'waitForEvent: the timeout passes first -> onTimeout, then the step after the wait',
    steps: checkoutWait(),
    inputs: [timer, done(), done()],
    log: [
      { at: t0, step: 'await-checkout', action: 'wait', until: iso(t0 + HOUR), for: 'checkout_started' },
      { at: t0 + HOUR, step: 'await-checkout', action: 'branch', branch: 'timeout' },
      { at: t0 + HOUR, step: 'nudge', action: 'email' },
      { at: t0 + HOUR, step: 'crm', action: 'webhook' },
      completed(t0 + HOUR),
    ],
    reason: 'completed',
  },
  {
    name: 'waitForEvent: the timeout is multiplied by waitScale',
    waitScale: 0.5,
    steps: checkoutWait(),
    inputs: [timer],
    log: [
      { at: t0, step: 'await-checkout', action: 'wait', until: iso(t0 + 30 * MINUTE), for: 'checkout_started' },
      { at: t0 + 30 * MINUTE, step: 'await-checkout', action: 'branch', branch: 'timeout' },
    ],
    reason: 'running',
  },
  {
    name: 'waitForEvent: an empty onEvent list goes straight to the step after the wait',
    steps: checkoutWait(undefined, []),
    inputs: [event('checkout_started', '10m', {}, 'co-1'), done()],
    log: [
      { at: t0, step: 'await-checkout', action: 'wait', until: iso(t0 + HOUR), for: 'checkout_started' },
      { at: t0 + 10 * MINUTE, step: 'await-checkout', action: 'branch', branch: 'event', event: 'checkout_started', messageId: 'co-1' },
      { at: t0 + 10 * MINUTE, step: 'crm', action: 'webhook' },
      completed(t0 + 10 * MINUTE),
    ],
    reason: 'completed',
  },
  {
    name: 'waitForEvent: another event changes nothing; the same wait goes on',
    steps: checkoutWait(),
    inputs: [event('page_viewed', '10m'), timer],
    log: [
      { at: t0, step: 'await-checkout', action: 'wait', until: iso(t0 + HOUR), for: 'checkout_started' },
      { at: t0 + HOUR, step: 'await-checkout', action: 'branch', branch: 'timeout' },
    ],
    reason: 'running',
    asked: [`wait await-checkout until ${iso(t0 + HOUR)}`, `wait await-checkout until ${iso(t0 + HOUR)}`, 'perform nudge'],
  },
  {
    name: 'waitForEvent with conditions: the event is evaluated, and when it holds -> onEvent',
    steps: checkoutWait(BIG_ORDER),
    inputs: [event('checkout_started', '10m', { total: 150 }, 'co-1'), holds, done(), done()],
    log: [
      { at: t0, step: 'await-checkout', action: 'wait', until: iso(t0 + HOUR), for: 'checkout_started' },
      { at: t0 + 10 * MINUTE, step: 'await-checkout', action: 'branch', branch: 'event', event: 'checkout_started', messageId: 'co-1' },
      { at: t0 + 10 * MINUTE, step: 'thanks', action: 'sms' },
      { at: t0 + 10 * MINUTE, step: 'crm', action: 'webhook' },
      completed(t0 + 10 * MINUTE),
    ],
    reason: 'completed',
    asked: [`wait await-checkout until ${iso(t0 + HOUR)}`, 'evaluate await-checkout on checkout_started', 'perform thanks', 'perform crm', 'finish completed'],
  },
  {
    name: 'waitForEvent with conditions: an event that does not hold leaves the same wait running',
    steps: checkoutWait(BIG_ORDER),
    inputs: [event('checkout_started', '10m', { total: 50 }, 'co-1'), fails, timer, done(), done()],
    log: [
      { at: t0, step: 'await-checkout', action: 'wait', until: iso(t0 + HOUR), for: 'checkout_started' },
      { at: t0 + HOUR, step: 'await-checkout', action: 'branch', branch: 'timeout' },
      { at: t0 + HOUR, step: 'nudge', action: 'email' },
      { at: t0 + HOUR, step: 'crm', action: 'webhook' },
      completed(t0 + HOUR),
    ],
    reason: 'completed',
    asked: [
      `wait await-checkout until ${iso(t0 + HOUR)}`,
      'evaluate await-checkout on checkout_started',
      `wait await-checkout until ${iso(t0 + HOUR)}`,
      'perform nudge',
      'perform crm',
      'finish completed',
    ],
  },

  // --- exitOn ---------------------------------------------------------------------------------
  {
    name: 'exitOn: the event ends the journey at once during a wait',
    exitOn: ORDER_EXITS,
    steps: [email('mail'), wait('pause', '2d'), sms('text')],
    inputs: [done(), event('order_completed', '1d', {}, 'order-1')],
    log: [
      { at: t0, step: 'mail', action: 'email' },
      { at: t0, step: 'pause', action: 'wait', until: iso(t0 + 2 * DAY) },
      { at: t0 + DAY, step: null, action: 'exit', reason: 'exit_event', event: 'order_completed', messageId: 'order-1' },
    ],
    reason: 'exit_event',
    asked: ['perform mail', `wait pause until ${iso(t0 + 2 * DAY)}`, 'finish exit_event'],
  },
  {
    name: 'exitOn: an event that arrives between two steps ends the journey before the next one',
    exitOn: ORDER_EXITS,
    steps: [coupon('issue'), email('mail')],
    inputs: [done({ code: 'C-1' }), event('order_completed', 0, {}, 'order-1')],
    log: [
      { at: t0, step: 'issue', action: 'coupon', code: 'C-1' },
      { at: t0, step: null, action: 'exit', reason: 'exit_event', event: 'order_completed', messageId: 'order-1' },
    ],
    reason: 'exit_event',
    coupon: 'C-1',
  },
  {
    name: 'exitOn wins over a waitForEvent waiting for the same event',
    exitOn: ORDER_EXITS,
    steps: [waitForEvent('await-order', 'order_completed', '1h', [sms('thanks')], [])],
    inputs: [event('order_completed', '5m', {}, 'order-1')],
    log: [
      { at: t0, step: 'await-order', action: 'wait', until: iso(t0 + HOUR), for: 'order_completed' },
      { at: t0 + 5 * MINUTE, step: null, action: 'exit', reason: 'exit_event', event: 'order_completed', messageId: 'order-1' },
    ],
    reason: 'exit_event',
  },
  {
    name: 'exitOn with conditions: the event is evaluated, and when it holds the journey ends',
    exitOn: [{ event: 'order_completed', conditions: BIG_ORDER }],
    steps: [email('mail'), wait('pause', '2d'), sms('text')],
    inputs: [done(), event('order_completed', '1d', { total: 500 }, 'order-1'), holds],
    log: [
      { at: t0, step: 'mail', action: 'email' },
      { at: t0, step: 'pause', action: 'wait', until: iso(t0 + 2 * DAY) },
      { at: t0 + DAY, step: null, action: 'exit', reason: 'exit_event', event: 'order_completed', messageId: 'order-1' },
    ],
    reason: 'exit_event',
    asked: ['perform mail', `wait pause until ${iso(t0 + 2 * DAY)}`, 'evaluate exitOn on order_completed', 'finish exit_event'],
  },
  {
    name: 'exitOn with conditions that do not hold: the same wait resumes with the same until',
    exitOn: [{ event: 'order_completed', conditions: BIG_ORDER }],
    steps: [email('mail'), wait('pause', '2d'), sms('text')],
    inputs: [done(), event('order_completed', '1d', { total: 5 }, 'order-1'), fails, timer, done()],
    log: [
      { at: t0, step: 'mail', action: 'email' },
      { at: t0, step: 'pause', action: 'wait', until: iso(t0 + 2 * DAY) },
      { at: t0 + 2 * DAY, step: 'text', action: 'sms' },
      completed(t0 + 2 * DAY),
    ],
    reason: 'completed',
    asked: [
      'perform mail',
      `wait pause until ${iso(t0 + 2 * DAY)}`,
      'evaluate exitOn on order_completed',
      `wait pause until ${iso(t0 + 2 * DAY)}`,
      'perform text',
      'finish completed',
    ],
  },
  {
    name: 'exitOn with conditions that do not hold between steps: the pending step runs',
    exitOn: [{ event: 'order_completed', conditions: BIG_ORDER }],
    steps: [coupon('issue'), email('mail')],
    inputs: [done({ code: 'C-1' }), event('order_completed', 0, { total: 5 }), fails, done()],
    log: [{ at: t0, step: 'issue', action: 'coupon', code: 'C-1' }, { at: t0, step: 'mail', action: 'email' }, completed(t0)],
    reason: 'completed',
    asked: ['perform issue', 'perform mail', 'evaluate exitOn on order_completed', 'perform mail', 'finish completed'],
    coupon: 'C-1',
  },
  {
    name: 'exitOn: when the first matching exit does not hold, a later one for the same event still ends the journey',
    exitOn: [{ event: 'order_completed', conditions: BIG_ORDER }, { event: 'order_completed' }],
    steps: [wait('pause', '2d')],
    inputs: [event('order_completed', '1h', { total: 5 }, 'order-1'), fails],
    log: [
      { at: t0, step: 'pause', action: 'wait', until: iso(t0 + 2 * DAY) },
      { at: t0 + HOUR, step: null, action: 'exit', reason: 'exit_event', event: 'order_completed', messageId: 'order-1' },
    ],
    reason: 'exit_event',
  },
  {
    name: 'exitOn with conditions that do not hold: the event can still be the one a waitForEvent waits for',
    exitOn: [{ event: 'order_completed', conditions: BIG_ORDER }],
    steps: [waitForEvent('await-order', 'order_completed', '1h', [sms('thanks')], [email('nudge')])],
    inputs: [event('order_completed', '5m', { total: 5 }, 'order-1'), fails, done()],
    log: [
      { at: t0, step: 'await-order', action: 'wait', until: iso(t0 + HOUR), for: 'order_completed' },
      { at: t0 + 5 * MINUTE, step: 'await-order', action: 'branch', branch: 'event', event: 'order_completed', messageId: 'order-1' },
      { at: t0 + 5 * MINUTE, step: 'thanks', action: 'sms' },
      completed(t0 + 5 * MINUTE),
    ],
    reason: 'completed',
  },
];

describe('journey step machine: events during a journey', () => {
  it.each(specs)('$name', expectJourney);
});
