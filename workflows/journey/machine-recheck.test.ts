/**
 * Allowed lateness in the step machine: before its first action step a journey waits until its trigger
 * is `latenessMs` old, then asks for the trigger's conditions as of the decision's time; if they no
 * longer hold it ends with trigger_no_longer_true before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { done, event, fails, holds, iso, runJourney, timer, type JourneySetup } from '../../test/support/unit-journey-driver';
import { countOf, coupon, email, wait } from '../../test/support/unit-rules';
import { MINUTE, ORDER_EXITS, START, t0 } from '../../test/support/unit-journey-fixtures';
import type { TriggerRecheckContext } from './trigger-recheck';

const NO_ORDER = { all: [countOf('order_completed', '7d', 'equal', 0)] };
const recheckOf = (triggeredAt: number, latenessMs = 2 * MINUTE): TriggerRecheckContext => ({
  latenessMs,
  asOf: triggeredAt,
  seq: 7,
  conditions: NO_ORDER,
  trigger: { messageId: 'view-3', event: 'page_viewed', timestamp: iso(triggeredAt), properties: { page: 'pricing' } },
});
const journey = (extra: Partial<JourneySetup> = {}): JourneySetup => ({ steps: [coupon('code'), email('mail')], start: START, recheck: recheckOf(t0), ...extra });

describe('the trigger re-check (allowed lateness)', () => {
  it('waits until the trigger is the lateness old, then sends only if the trigger still holds', () => {
    const run = runJourney(journey(), [timer, holds, done({ code: 'C1' }), done()]);
    expect(run.asked).toEqual([
      `wait code until ${iso(t0 + 2 * MINUTE)}`,
      `evaluate trigger as of ${START}`,
      'perform code',
      'perform mail',
      'finish completed',
    ]);
    expect(run.log[0]).toEqual({ at: t0, step: 'code', action: 'wait', until: iso(t0 + 2 * MINUTE), reason: 'allowed_lateness' });
    expect(run.reason).toBe('completed');
  });

  it('ends with trigger_no_longer_true and sends nothing when late events undid the trigger', () => {
    const run = runJourney(journey(), [timer, fails]);
    expect(run.reason).toBe('trigger_no_longer_true');
    expect(run.log.map((a) => a.action)).toEqual(['wait', 'exit']);
    expect(run.log.at(-1)).toMatchObject({ at: t0 + 2 * MINUTE, reason: 'trigger_no_longer_true', asOf: START });
  });

  it('asks for the evaluation as of the decision time, with the trigger as the event', () => {
    const run = runJourney(journey({ recheck: { ...recheckOf(t0), asOf: t0 + 5000 } }), [timer]);
    expect(run.command).toMatchObject({ kind: 'evaluate', stepId: null, conditions: NO_ORDER, event: { messageId: 'view-3' }, asOf: { at: t0 + 5000, seq: 7 } });
  });

  it('an exit event during the lateness wait ends the journey before the re-check', () => {
    const run = runJourney({ ...journey(), exitOn: ORDER_EXITS }, [event('order_completed', '30s')]);
    expect(run.reason).toBe('exit_event');
    expect(run.log.map((a) => a.action)).toEqual(['wait', 'exit']);
  });

  it('waits only for what is left of the lateness when the trigger arrived late, and not at all past it', () => {
    const late = runJourney(journey({ recheck: recheckOf(t0 - MINUTE) }), [timer]);
    expect(late.asked[0]).toBe(`wait code until ${iso(t0 + MINUTE)}`);
    // The trigger itself arrived later than the lateness: every earlier event within it had arrived, no re-check.
    const tooLate = runJourney(journey({ recheck: recheckOf(t0 - 3 * MINUTE) }), [done({ code: 'C1' }), done()]);
    expect(tooLate.asked[0]).toBe('perform code');
    expect(tooLate.reason).toBe('completed');
  });

  it('measures the wait from the journey start when the trigger is dated in the future (client clock ahead)', () => {
    const run = runJourney(journey({ recheck: recheckOf(t0 + 60 * MINUTE) }), [timer]);
    expect(run.asked[0]).toBe(`wait code until ${iso(t0 + 2 * MINUTE)}`);
  });

  it('re-checks once, at the first action step, even after a wait (no second wait, no second check)', () => {
    const steps = [wait('pause', '1h'), email('first'), wait('again', '1d'), email('second')];
    const run = runJourney(journey({ steps }), [timer, holds, done(), timer, done()]);
    expect(run.asked).toEqual([
      `wait pause until ${iso(t0 + 60 * MINUTE)}`,
      `evaluate trigger as of ${START}`,
      'perform first',
      `wait again until ${iso(t0 + 60 * MINUTE + 24 * 60 * MINUTE)}`,
      'perform second',
      'finish completed',
    ]);
  });

  it('re-checks the holdout control group too, so both groups lose the same people', () => {
    expect(runJourney(journey({ control: true }), [timer, fails]).reason).toBe('trigger_no_longer_true');
    const kept = runJourney(journey({ control: true }), [timer, holds]);
    expect(kept.log.map((a) => [a.action, a.reason])).toEqual([['wait', 'allowed_lateness'], ['skip', 'holdout'], ['skip', 'holdout'], ['exit', 'completed']]);
  });

  it('without allowed lateness nothing changes: the first step runs at once', () => {
    const run = runJourney(journey({ recheck: undefined }), [done({ code: 'C1' }), done()]);
    expect(run.asked).toEqual(['perform code', 'perform mail', 'finish completed']);
    expect(run.state.kind).toBe('done');
    expect(run.log.map((a) => a.reason)).not.toContain('allowed_lateness');
  });
});
