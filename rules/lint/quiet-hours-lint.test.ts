/**
 * The sms-without-quiet-hours lint now that quiet hours exist: a rule that gives its SMS quiet hours, or
 * turns them off on purpose (`quietHours.sms: false`), is not warned about; a rule that says nothing about
 * SMS quiet hours is, and the message no longer says nudge has none.
 */
import { describe, expect, it } from 'vitest';
import { ruleOf, sms } from '../../test/support/unit-rules';
import { journeyLints } from './journey-lints';

const smsLints = (overrides: Parameters<typeof ruleOf>[0]) =>
  journeyLints(ruleOf({ exitOn: [{ event: 'order_completed' }], steps: [sms('text')], ...overrides })).filter((lint) => lint.code === 'sms-without-quiet-hours');

describe('sms-without-quiet-hours with quiet hours in the rule', () => {
  it('does not fire when the rule sets SMS quiet hours', () => {
    expect(smsLints({ quietHours: { sms: { start: '21:00', end: '09:00' } } })).toEqual([]);
  });

  it('does not fire when the rule turns SMS quiet hours off on purpose (quietHours.sms: false)', () => {
    expect(smsLints({ quietHours: { sms: false } })).toEqual([]);
  });

  it('fires when the rule says nothing about SMS quiet hours (email quiet hours do not cover SMS)', () => {
    expect(smsLints({})).toHaveLength(1);
    expect(smsLints({ quietHours: { email: { start: '21:00', end: '09:00' } } })).toHaveLength(1);
    expect(smsLints({ quietHours: { email: false } })).toHaveLength(1);
  });

  it('does not claim that nudge has no quiet hours', () => {
    for (const lint of smsLints({})) expect(lint.message).not.toMatch(/no quiet hours yet/);
  });
});
