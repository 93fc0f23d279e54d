/**
 * The journey event log as the pure core writes it: the records of a journey (enter, sent, skipped,
 * outcome unknown, branch, wait, exit, converted) from the machine's transitions, and the goal: a
 * conversion within the window is recorded for treatment and holdout control persons alike, control
 * persons are sent nothing, and a journey whose steps are done watches for its goal until the window ends.
 */
import { describe, expect, it } from 'vitest';
import { JourneyEventRecordSchema } from './journey-event-record';
import { journeyRecorder, recordMetaOf, type PendingJourneyRecord } from './journey-records';
import { contextFor, done, event, fails, holds, iso, runJourney, skipped, timer, type DriverInput, type JourneySetup } from '../../test/support/unit-journey-driver';
import { email, eventAt, sms, wait } from '../../test/support/unit-rules';
import { DAY, HOUR, ORDER_EXITS, START, t0 } from '../../test/support/unit-journey-fixtures';
import type { Step } from '../../rules/schema/steps';

const GOAL = { event: 'order_completed', within: '7d' };

function recordsOf(setup: JourneySetup, inputs: DriverInput[]) {
  const run = runJourney(setup, inputs);
  const ctx = contextFor(setup);
  const recorder = journeyRecorder(ctx, recordMetaOf({ journeyId: 'j-1', userId: 'user', rule: { id: 'rule', version: 3 }, ...(setup.control ? { assignment: 'control' as const } : {}) }));
  const records = [...recorder.enter(t0), ...recorder.take(run.log)];
  // Every record is valid by the one schema once the writer stamps it.
  for (const record of records) JourneyEventRecordSchema.parse({ ...record, recordedAt: iso(t0) });
  return { run, records };
}
const brief = (records: PendingJourneyRecord[]) => records.map((r) => `${r.kind}${r.stepId ? ` ${r.stepId}` : ''}${'reason' in r && r.reason ? ` ${r.reason}` : ''}`);

describe('journey event records', () => {
  it('one per action, in order, with deterministic ids and the journey fields', () => {
    const steps: Step[] = [email('mail'), wait('pause', '1d'), sms('text')];
    const { records } = recordsOf({ steps, start: START }, [done({ messageId: '<m1>' }), timer, skipped('invalid_phone', 'bad number')]);
    expect(brief(records)).toEqual(['enter', 'step_sent mail', 'wait_started pause', 'step_skipped text invalid_phone', 'exit completed']);
    expect(records.map((r) => r.id)).toEqual(['j-1/0/enter', 'j-1/1/step_sent', 'j-1/2/wait_started', 'j-1/3/step_skipped', 'j-1/4/exit']);
    expect(records[1]).toMatchObject({ journeyId: 'j-1', personId: 'user', ruleId: 'rule', ruleVersion: 3, group: 'treatment', channel: 'email', details: { messageId: '<m1>' } });
    expect(records[3]).toMatchObject({ channel: 'sms', detail: 'bad number' });
    expect(records[4]).toMatchObject({ kind: 'exit', reason: 'completed', converted: false, occurredAt: iso(t0 + DAY) });
  });

  it('a send whose outcome is unknown (the worker died after the provider call) is its own kind, not a skip', () => {
    const { records } = recordsOf({ steps: [email('mail')], start: START }, [skipped('outcome_unknown', 'ledger claim pending')]);
    expect(brief(records)).toEqual(['enter', 'step_outcome_unknown mail', 'exit completed']);
    expect(records[1]).toMatchObject({ channel: 'email', detail: 'ledger claim pending' });
  });

  it('enter carries the split assignment and the goal window; a branch taken is recorded', () => {
    const steps: Step[] = [{ id: 'ab', type: 'split', variants: [{ name: 'a', weight: 1, steps: [email('mail-a')] }, { name: 'b', weight: 1, steps: [email('mail-b')] }] } as Step];
    const { records } = recordsOf({ steps, goal: GOAL, start: START }, []);
    const enter = records[0]!;
    expect(enter.kind).toBe('enter');
    if (enter.kind !== 'enter') return;
    const variant = enter.variants.ab!;
    expect(['a', 'b']).toContain(variant);
    expect(enter.goal).toEqual({ event: 'order_completed', windowEndsAt: iso(t0 + 7 * DAY) });
    expect(records[1]).toMatchObject({ kind: 'branch_taken', stepId: 'ab', branch: variant });
  });
});

describe('goal: conversions', () => {
  it('treatment: the goal event converts, with time to convert and the last message before it; an exit on the same event follows', () => {
    const { records, run } = recordsOf({ steps: [email('mail'), wait('pause', '2d'), sms('text')], exitOn: ORDER_EXITS, goal: GOAL, start: START }, [done({ messageId: '<m1>' }), event('order_completed', 5 * HOUR)]);
    expect(brief(records)).toEqual(['enter', 'step_sent mail', 'wait_started pause', 'converted', 'exit exit_event']);
    expect(records[3]).toMatchObject({ kind: 'converted', goalEvent: 'order_completed', goalMessageId: 'order_completed-msg', timeToConvertMs: 5 * HOUR, enteredAt: iso(t0), lastMessage: { stepId: 'mail', channel: 'email', at: iso(t0) } });
    expect(records[4]).toMatchObject({ kind: 'exit', converted: true });
    expect(run.reason).toBe('exit_event');
  });

  it('holdout control: every send skipped (no perform asked), the journey watches for the goal and records the conversion', () => {
    const { records, run } = recordsOf({ steps: [email('mail'), wait('pause', '1d'), sms('text')], goal: GOAL, control: true, start: START }, [timer, event('order_completed', 2 * DAY)]);
    expect(run.asked.filter((line) => line.startsWith('perform'))).toEqual([]);
    expect(brief(records)).toEqual(['enter', 'step_skipped mail holdout', 'wait_started pause', 'step_skipped text holdout', 'wait_started goal_window', 'converted', 'exit completed']);
    expect(records.every((r) => r.group === 'control')).toBe(true);
    expect(records[5]).toMatchObject({ kind: 'converted', timeToConvertMs: 3 * DAY, lastMessage: null });
    expect(records[6]).toMatchObject({ kind: 'exit', reason: 'completed', converted: true, occurredAt: iso(t0 + 3 * DAY) });
  });

  it('after the last step the journey waits for the goal until the window ends, then ends unconverted with its own reason', () => {
    const { run, records } = recordsOf({ steps: [email('mail')], goal: GOAL, start: START }, [done(), timer]);
    expect(run.asked).toEqual(['perform mail', `wait goal until ${iso(t0 + 7 * DAY)}`, 'finish completed']);
    expect(records.at(-1)).toMatchObject({ kind: 'exit', reason: 'completed', converted: false, occurredAt: iso(t0 + 7 * DAY) });
  });

  it('a goal event after the window is no conversion; the window is scaled like waits', () => {
    const { run } = recordsOf({ steps: [wait('pause', '10d')], goal: GOAL, start: START }, [event('order_completed', 8 * DAY)]);
    expect(run.log.some((a) => a.action === 'converted')).toBe(false);
    const scaled = recordsOf({ steps: [email('mail')], goal: GOAL, waitScale: 1 / 1000, start: START }, [done()]);
    expect(scaled.run.asked.at(-1)).toBe(`wait goal until ${iso(t0 + (7 * DAY) / 1000)}`);
  });

  it('a goal event that happened before the entry and arrived late is no conversion; one from after the entry is', () => {
    const before = { ...event('order_completed', HOUR, {}, 'late'), occurredAt: iso(t0 - HOUR) };
    const after = { ...event('order_completed', HOUR, {}, 'later'), occurredAt: iso(t0 + HOUR) };
    const { run, records } = recordsOf({ steps: [email('mail')], goal: GOAL, goalFrom: t0, start: START }, [done(), before, after]);
    expect(records.filter((r) => r.kind === 'converted')).toMatchObject([{ goalMessageId: 'later' }]);
    expect(run.reason).toBe('completed');
    // Without an entry time (histories from before the check) the late one converted.
    const unchecked = recordsOf({ steps: [email('mail')], goal: GOAL, start: START }, [done(), before]);
    expect(unchecked.records.filter((r) => r.kind === 'converted')).toMatchObject([{ goalMessageId: 'late' }]);
  });

  it('goal conditions are evaluated: a failing one leaves the journey as it was, a holding one converts once', () => {
    const goal = { ...GOAL, conditions: { all: [eventAt('$.properties.total', 'greaterThan', 100)] } };
    const { run, records } = recordsOf({ steps: [email('mail')], goal, start: START }, [done(), event('order_completed', HOUR, {}, 'small'), fails, event('order_completed', HOUR, {}, 'big'), holds]);
    expect(run.asked).toContain('evaluate exitOn on order_completed');
    expect(records.filter((r) => r.kind === 'converted')).toMatchObject([{ goalMessageId: 'big', timeToConvertMs: 2 * HOUR }]);
    expect(run.reason).toBe('completed');
  });

  it('without a goal nothing changes: the journey ends after its last step', () => {
    const { run } = recordsOf({ steps: [email('mail')], start: START }, [done()]);
    expect(run.asked).toEqual(['perform mail', 'finish completed']);
  });
});
