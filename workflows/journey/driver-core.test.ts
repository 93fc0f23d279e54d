/**
 * The driver rules both drivers follow (the Temporal workflow and the simulator): which input comes
 * before a command, how signals queue, and what a failed activity means for the journey.
 */
import { describe, expect, it } from 'vitest';
import { contextFor } from '../../test/support/unit-journey-driver';
import { email, sms, wait } from '../../test/support/unit-rules';
import { DAY, t0 } from '../../test/support/unit-journey-fixtures';
import { advance, emptyInbox, failedStepResult, receiveEvent, receiveMerged, receiveRuleChanged, takeFromInbox, wakesWait, type ActivityFailed, type Inbox } from './driver-core';
import { startJourney, type Command, type JourneyEvent, type MergedNotice, type RuleChangedNotice } from './machine';

const order: JourneyEvent = { messageId: 'm-order', event: 'order_completed', timestamp: new Date(t0).toISOString(), properties: {} };
const merged: MergedNotice = { into: 'person-b', keptJourneyId: 'j-b', at: new Date(t0).toISOString() };
const ruleChanged: RuleChangedNotice = { ruleVersion: 2, revision: 7 };

const commands: Record<Command['kind'], Command> = {
  perform: { kind: 'perform', step: { id: 'mail', type: 'email', subject: 's', text: 't' }, coupon: null },
  wait: { kind: 'wait', stepId: 'pause', until: t0 + DAY, listen: ['order_completed'] },
  evaluate: { kind: 'evaluate', stepId: 'b', conditions: { all: [] }, event: null },
  finish: { kind: 'finish', reason: 'completed', stepId: null },
};

function inboxWith(contents: { events?: JourneyEvent[]; merged?: boolean; ruleChanged?: boolean }): Inbox {
  const inbox = emptyInbox();
  for (const event of contents.events ?? []) receiveEvent(inbox, event);
  if (contents.merged) receiveMerged(inbox, merged);
  if (contents.ruleChanged) receiveRuleChanged(inbox, ruleChanged);
  return inbox;
}

describe('takeFromInbox: what comes before the command', () => {
  it.each<[string, Parameters<typeof inboxWith>[0], Command['kind'], string | null]>([
    ['nothing pending: execute the command', {}, 'perform', null],
    ['an event before a send (an exit event wins over the next send)', { events: [order] }, 'perform', 'event'],
    ['an event during a wait', { events: [order] }, 'wait', 'event'],
    ['an event waits while a condition is evaluated', { events: [order] }, 'evaluate', null],
    ['a merge before a send', { merged: true }, 'perform', 'merged'],
    ['a merge drops a pending evaluation', { merged: true }, 'evaluate', 'merged'],
    ['a merge before queued events and a rule change', { events: [order], merged: true, ruleChanged: true }, 'wait', 'merged'],
    ['a rule change before queued events', { events: [order], ruleChanged: true }, 'perform', 'ruleChanged'],
    ['a finished journey takes nothing', { events: [order], merged: true, ruleChanged: true }, 'finish', null],
  ])('%s', (_name, contents, command, expected) => {
    const inbox = inboxWith(contents);
    expect(takeFromInbox(inbox, commands[command])?.kind ?? null).toBe(expected);
  });

  it('takes queued events one at a time, in arrival order', () => {
    const second = { ...order, messageId: 'm-2' };
    const inbox = inboxWith({ events: [order, second] });
    expect(takeFromInbox(inbox, commands.wait)).toEqual({ kind: 'event', event: order });
    expect(takeFromInbox(inbox, commands.wait)).toEqual({ kind: 'event', event: second });
    expect(takeFromInbox(inbox, commands.wait)).toBeNull();
  });
});

describe('the inbox', () => {
  it('queues a redelivered event once', () => {
    const inbox = emptyInbox();
    expect(receiveEvent(inbox, order)).toBe(true);
    expect(receiveEvent(inbox, { ...order, timestamp: 'later' })).toBe(false);
    expect(inbox.events).toEqual([order]);
  });

  it('keeps the first merge and rule-changed notice', () => {
    const inbox = inboxWith({ merged: true, ruleChanged: true });
    receiveMerged(inbox, { ...merged, into: 'person-c' });
    receiveRuleChanged(inbox, { ruleVersion: 3, revision: 8 });
    expect([inbox.merged, inbox.ruleChanged]).toEqual([merged, ruleChanged]);
  });

  it('wakes a wait for anything pending, and only then', () => {
    expect(wakesWait(emptyInbox())).toBe(false);
    expect([inboxWith({ events: [order] }), inboxWith({ merged: true }), inboxWith({ ruleChanged: true })].map(wakesWait)).toEqual([true, true, true]);
  });
});

describe('failedStepResult: an activity that failed for good', () => {
  it.each<[string, ActivityFailed, string]>([
    ['a connector refusal keeps its reason', { type: 'invalid_phone', message: 'not a number' }, 'invalid_phone'],
    ['a rate limit out of retries', { type: 'rate_limited', message: '429' }, 'rate_limited'],
    ['a provider down through every retry', { type: 'provider_unavailable', message: 'ECONNREFUSED' }, 'provider_unavailable'],
    ['a crash between the provider call and the record (ledger left pending)', { type: 'outcome_unknown', message: 'not re-sending' }, 'outcome_unknown'],
    ['an untyped failure (a timeout)', { type: null, message: 'activity StartToClose timeout' }, 'delivery_failed'],
    ['an untyped failure with an empty type', { type: '', message: 'x' }, 'delivery_failed'],
  ])('%s -> skip %s', (_name, failure, reason) => {
    expect(failedStepResult(failure)).toEqual({ status: 'skipped', reason, detail: failure.message });
  });

  it('is a recorded skip, and the journey goes on with its next step', () => {
    const ctx = contextFor({ steps: [sms('text'), email('mail')] });
    const started = startJourney(ctx, t0);
    const t = advance(ctx, started.state, { kind: 'performFailed', failure: { type: 'invalid_phone', message: 'bad' } }, t0 + 1);
    expect(t.log).toEqual([{ at: t0 + 1, step: 'text', action: 'skip', reason: 'invalid_phone', detail: 'bad' }]);
    expect(t.command).toMatchObject({ kind: 'perform', step: { id: 'mail' } });
  });
});

describe('advance', () => {
  it('feeds every input kind to the machine: a timer ends the wait at its time', () => {
    const ctx = contextFor({ steps: [wait('pause', '1d'), email('mail')] });
    const waiting = startJourney(ctx, t0);
    expect(advance(ctx, waiting.state, { kind: 'timer', at: t0 + DAY }, t0 + DAY).command).toMatchObject({ kind: 'perform', step: { id: 'mail' } });
    expect(advance(ctx, waiting.state, { kind: 'ruleChanged', notice: ruleChanged }, t0).command).toEqual({ kind: 'finish', reason: 'rule_changed', stepId: null });
  });
});
