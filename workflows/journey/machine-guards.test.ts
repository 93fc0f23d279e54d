/**
 * The step machine on the example rules in rules/, and its guards: what it refuses, and that
 * transitions never mutate the state they are given. (The step-type specifications are in machine-steps.test.ts and machine-events.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../rules/load-rules';
import { contextFor, done, event, fails, holds, iso, runJourney, timer } from '../../test/support/unit-journey-driver';
import { branch, sms, wait } from '../../test/support/unit-rules';
import { BIG_ORDER, checkoutWait, DAY, HOUR, ORDER_EXITS, PAID, START, t0 } from '../../test/support/unit-journey-fixtures';
import { listenedEvents, onEvaluated, onEvent, onTimer, startJourney } from './machine';

describe('the example rules, as journeys', () => {
  const rules = Object.fromEntries(loadRules([new URL('../../rules', import.meta.url).pathname]).map(({ rule }) => [rule.id, rule]));
  const setupOf = (id: string, start = START) => ({ steps: rules[id]!.steps, exitOn: rules[id]!.exitOn, timezone: rules[id]!.timezone, start });

  it('pricing-hesitation: coupon and email at once, the SMS two days later', () => {
    const run = runJourney(setupOf('pricing-hesitation'), [done({ code: 'SAVE10-X' }), done(), timer, done()]);
    expect(run.log.map((a) => [a.at - t0, a.step, a.action])).toEqual([
      [0, 'issue-coupon', 'coupon'],
      [0, 'coupon-email', 'email'],
      [0, 'wait-2-days', 'wait'],
      [2 * DAY, 'coupon-sms', 'sms'],
      [2 * DAY, null, 'exit'],
    ]);
    expect(run.coupon).toBe('SAVE10-X');
  });

  it('pricing-hesitation: an order during the two days ends it without the SMS', () => {
    const run = runJourney(setupOf('pricing-hesitation'), [done({ code: 'SAVE10-X' }), done(), event('order_completed', '1d')]);
    expect(run.reason).toBe('exit_event');
    expect(run.log.map((a) => a.action)).toEqual(['coupon', 'email', 'wait', 'exit']);
  });

  it('cart-abandonment: checkout within the hour ends quietly; no checkout brings coupon, email and webhook', () => {
    expect(runJourney(setupOf('cart-abandonment'), [event('checkout_started', '20m')]).log.map((a) => a.action)).toEqual(['wait', 'branch', 'exit']);
    const abandoned = runJourney(setupOf('cart-abandonment'), [timer, done({ code: 'CART-1' }), done(), done()]);
    expect(abandoned.log.map((a) => [a.step, a.action])).toEqual([
      ['await-checkout', 'wait'],
      ['await-checkout', 'branch'],
      ['cart-coupon', 'coupon'],
      ['cart-email', 'email'],
      ['crm-follow-up', 'webhook'],
      [null, 'exit'],
    ]);
  });

  it('trial-activation: 09:30 New York the next morning, the SMS only for paid plans', () => {
    const signedUp = '2025-03-08T23:00:00.000Z'; // Saturday 18:00 EST; Sunday is the DST change
    const paid = runJourney(setupOf('trial-activation', signedUp), [timer, done(), timer, holds, done()]);
    expect(paid.log.map((a) => [iso(a.at), a.step, a.action])).toEqual([
      [signedUp, 'next-morning', 'wait'],
      ['2025-03-09T13:30:00.000Z', 'tips-email', 'email'],
      ['2025-03-09T13:30:00.000Z', 'wait-a-day', 'wait'],
      ['2025-03-10T13:30:00.000Z', 'is-paid-lead', 'branch'],
      ['2025-03-10T13:30:00.000Z', 'setup-sms', 'sms'],
      ['2025-03-10T13:30:00.000Z', null, 'exit'],
    ]);
    const free = runJourney(setupOf('trial-activation', signedUp), [timer, done(), timer, fails]);
    expect(free.log.map((a) => a.action)).toEqual(['wait', 'email', 'wait', 'branch', 'exit']);
    expect(free.reason).toBe('completed');
  });
});

describe('commands and guards', () => {
  it('a wait listens for the exit events and the event it waits for', () => {
    const ctx = contextFor({ steps: checkoutWait(), exitOn: [...ORDER_EXITS, { event: 'unsubscribed' }] });
    const start = startJourney(ctx, t0);
    expect(start.command).toEqual({ kind: 'wait', stepId: 'await-checkout', until: t0 + HOUR, listen: ['order_completed', 'unsubscribed', 'checkout_started'] });
    expect(listenedEvents(ctx)).toEqual(['order_completed', 'unsubscribed']);
  });

  it('a branch asks to evaluate its conditions without an event', () => {
    const start = startJourney(contextFor({ steps: [branch('paid', PAID, [], [])] }), t0);
    expect(start.command).toEqual({ kind: 'evaluate', stepId: 'paid', conditions: PAID, event: null });
  });

  it('exit conditions are evaluated against the event that arrived', () => {
    const ctx = contextFor({ steps: [wait('pause', '1d')], exitOn: [{ event: 'order_completed', conditions: BIG_ORDER }] });
    const order = { messageId: 'order-1', event: 'order_completed', timestamp: iso(t0 + 1), properties: { total: 500 } };
    expect(onEvent(ctx, startJourney(ctx, t0).state, order, t0 + 1).command).toEqual({ kind: 'evaluate', stepId: null, conditions: BIG_ORDER, event: order });
  });

  it('a timer that fires early changes nothing', () => {
    const ctx = contextFor({ steps: [wait('pause', '1d'), sms('text')] });
    const waiting = startJourney(ctx, t0);
    expect(onTimer(ctx, waiting.state, t0 + DAY - 1)).toEqual({ state: waiting.state, command: waiting.command, log: [] });
  });

  it('an event that arrives while a condition is being evaluated is not taken', () => {
    const ctx = contextFor({ steps: [branch('paid', PAID, [], [])], exitOn: ORDER_EXITS });
    const evaluating = startJourney(ctx, t0);
    const order = { messageId: 'order-1', event: 'order_completed', timestamp: START, properties: {} };
    expect(onEvent(ctx, evaluating.state, order, t0)).toEqual({ state: evaluating.state, command: evaluating.command, log: [] });
  });

  it('an evaluation answer with no evaluation pending is an error', () => {
    const ctx = contextFor({ steps: [wait('pause', '1d')] });
    expect(() => onEvaluated(ctx, startJourney(ctx, t0).state, true, t0)).toThrow(/not evaluating a condition/);
  });

  it('transitions never change the state they are given', () => {
    const ctx = contextFor({ steps: checkoutWait(BIG_ORDER), exitOn: ORDER_EXITS });
    const waiting = startJourney(ctx, t0);
    const snapshot = structuredClone(waiting.state);
    onEvent(ctx, waiting.state, { messageId: 'co-1', event: 'checkout_started', timestamp: START, properties: {} }, t0);
    onEvent(ctx, waiting.state, { messageId: 'o-1', event: 'order_completed', timestamp: START, properties: {} }, t0);
    onTimer(ctx, waiting.state, t0 + HOUR);
    expect(waiting.state).toEqual(snapshot);
  });
});
