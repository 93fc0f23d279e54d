/**
 * Identity stitching, as the machine sees it: a merge notice ends the journey with reason `merged`
 * wherever it stands (waiting on a timer, waiting for an event, with a condition pending), logs who the
 * person became and which journey goes on, and leaves nothing to do afterwards. A journey that already
 * ended ignores it.
 */
import { describe, expect, it } from 'vitest';
import { contextFor } from '../../test/support/unit-journey-driver';
import { DAY, HOUR, ORDER_EXITS, t0 } from '../../test/support/unit-journey-fixtures';
import { email, sms, traitAt, wait, waitForEvent } from '../../test/support/unit-rules';
import { onEvaluated, onEvent, onMerged, onPerformed, onTimer, startJourney, type JourneyAction, type MergedNotice } from './machine';

const notice: MergedNotice = { into: 'person-b', keptJourneyId: 'journey/rule/person-b/m1', at: '2025-05-01T13:00:00.000Z' };
const mergedExit = (when: number): JourneyAction => ({ at: when, step: null, action: 'exit', reason: 'merged', into: 'person-b', keptJourneyId: 'journey/rule/person-b/m1' });

describe('onMerged', () => {
  it('ends a journey waiting on a timer; the timer firing later changes nothing', () => {
    const ctx = contextFor({ steps: [email('mail'), wait('pause', '1d'), sms('text')] });
    let t = startJourney(ctx, t0);
    t = onPerformed(ctx, t.state, { status: 'done', details: {} }, t0);
    expect(t.command).toMatchObject({ kind: 'wait', stepId: 'pause' });

    const merged = onMerged(ctx, t.state, notice, t0 + HOUR);
    expect(merged.command).toEqual({ kind: 'finish', reason: 'merged', stepId: null });
    expect(merged.log).toEqual([mergedExit(t0 + HOUR)]);
    expect(merged.state).toEqual({ kind: 'done', reason: 'merged', stepId: null });

    const late = onTimer(ctx, merged.state, t0 + DAY);
    expect(late.log).toEqual([]);
    expect(late.command).toEqual({ kind: 'finish', reason: 'merged', stepId: null });
  });

  it('ends a journey waiting for an event; the event arriving later is not taken', () => {
    const ctx = contextFor({ steps: [waitForEvent('await', 'checkout_started', '1h', [sms('thanks')], [email('nudge')])], exitOn: ORDER_EXITS });
    const t = startJourney(ctx, t0);
    expect(t.command).toMatchObject({ kind: 'wait', stepId: 'await', listen: ['order_completed', 'checkout_started'] });

    const merged = onMerged(ctx, t.state, notice, t0 + 10_000);
    expect(merged.log).toEqual([mergedExit(t0 + 10_000)]);
    const late = onEvent(ctx, merged.state, { messageId: 'm2', event: 'checkout_started', timestamp: new Date(t0 + 20_000).toISOString(), properties: {} }, t0 + 20_000);
    expect(late.log).toEqual([]);
    expect(late.command).toMatchObject({ kind: 'finish', reason: 'merged' });
  });

  it('ends a journey whose wait-for-event conditions are being evaluated: the pending answer is dropped', () => {
    const ctx = contextFor({ steps: [waitForEvent('await', 'checkout_started', '1h', [sms('thanks')], [email('nudge')], { all: [traitAt('$.plan', 'equal', 'team')] })] });
    let t = startJourney(ctx, t0);
    t = onEvent(ctx, t.state, { messageId: 'm1', event: 'checkout_started', timestamp: new Date(t0).toISOString(), properties: {} }, t0);
    expect(t.command).toMatchObject({ kind: 'evaluate', stepId: 'await' });

    const merged = onMerged(ctx, t.state, notice, t0 + 1);
    expect(merged.state.kind).toBe('done');
    expect(merged.log).toEqual([mergedExit(t0 + 1)]);
    expect(() => onEvaluated(ctx, merged.state, true, t0 + 2)).toThrow(/not evaluating a condition/);
  });

  it('is ignored by a journey that already ended, which keeps its own reason', () => {
    const ctx = contextFor({ steps: [email('mail')] });
    let t = startJourney(ctx, t0);
    t = onPerformed(ctx, t.state, { status: 'done', details: {} }, t0);
    expect(t.command).toMatchObject({ kind: 'finish', reason: 'completed' });

    const merged = onMerged(ctx, t.state, notice, t0 + HOUR);
    expect(merged.log).toEqual([]);
    expect(merged.state).toBe(t.state);
    expect(merged.command).toEqual({ kind: 'finish', reason: 'completed', stepId: null });
  });

  it('a second notice after the first changes nothing', () => {
    const ctx = contextFor({ steps: [wait('pause', '1d'), sms('text')] });
    const first = onMerged(ctx, startJourney(ctx, t0).state, notice, t0 + 5);
    const second = onMerged(ctx, first.state, { ...notice, into: 'person-c' }, t0 + 6);
    expect(second.log).toEqual([]);
    expect(second.state).toEqual({ kind: 'done', reason: 'merged', stepId: null });
  });
});
