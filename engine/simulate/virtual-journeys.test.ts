/**
 * The simulator's journeys end on a merge notice exactly as the workflow does: at once when waiting,
 * after the step in flight when a send is running (the send is logged, the next step never runs), and
 * a journey that is not running answers false.
 */
import { describe, expect, it } from 'vitest';
import type { JourneyActivities } from '../../workflows/activities/create-activities';
import type { JourneyInput } from '../../workflows/journey/journey-input';
import type { MergedNotice } from '../../workflows/journey/machine';
import { ApplicationFailure } from '@temporalio/common';
import { email, ruleOf, sms, wait } from '../../test/support/unit-rules';
import type { Step } from '../../rules/schema/steps';
import { VirtualJourneys } from './virtual-journeys';

const t0 = Date.parse('2025-05-01T12:00:00.000Z');
const HOUR = 3_600_000;
const notice: MergedNotice = { into: 'person-b', keptJourneyId: 'j-b', at: '2025-05-01T13:00:00.000Z' };

function setup(steps: Step[], duringSend?: (stepId: string) => Promise<void>) {
  const clock = { now: t0 };
  const skipReasons: string[] = [];
  const performed: string[] = [];
  const actions: string[] = [];
  const activities = {
    async performStep({ step }: { step: { id: string } }) {
      performed.push(step.id);
      await duringSend?.(step.id);
      return { status: 'done', details: {} };
    },
    evaluateJourneyConditions: async () => true,
  } as unknown as JourneyActivities;
  const journeys = new VirtualJourneys(activities, clock, (_input, action) => {
    if (action.action === 'skip') skipReasons.push(String(action.reason));
    actions.push(action.action === 'exit' ? `exit:${String(action.reason)}:${String(action.into)}` : `${action.action}:${String(action.step)}`);
  });
  const input: JourneyInput = {
    v: 1,
    journeyId: 'j-a',
    userId: 'person-a',
    rule: ruleOf({ steps }),
    trigger: { messageId: 'm1', event: 'page_viewed', timestamp: new Date(t0).toISOString(), properties: {} },
    traits: {},
    waitScale: 1,
  };
  return { clock, performed, actions, skipReasons, journeys, input };
}

describe('VirtualJourneys.exitMerged', () => {
  it('ends a journey waiting on a timer; its timer then fires into nothing', async () => {
    const { clock, performed, actions, journeys, input } = setup([email('first'), wait('pause', '1d'), email('second')]);
    await journeys.start(input);
    expect(actions).toEqual(['enter:null', 'email:first', 'wait:pause']);

    clock.now = t0 + HOUR;
    expect(await journeys.exitMerged('j-a', notice)).toBe(true);
    expect(actions.at(-1)).toBe('exit:merged:person-b');
    expect(await journeys.isRunning('j-a')).toBe(false);

    const timer = journeys.nextTimer()!;
    clock.now = timer.at;
    await journeys.fireNextTimer();
    expect(performed).toEqual(['first']);
    expect(actions).toEqual(['enter:null', 'email:first', 'wait:pause', 'exit:merged:person-b']);
  });

  it('lets a send in flight finish, logs it, then exits instead of running the next step', async () => {
    let journeys!: VirtualJourneys;
    let answered: boolean | undefined;
    const ctx = setup([email('first'), email('second')], async (stepId) => {
      if (stepId === 'first') answered = await journeys.exitMerged('j-a', notice);
    });
    journeys = ctx.journeys;
    await journeys.start(ctx.input);
    expect(answered).toBe(true);
    expect(ctx.performed).toEqual(['first']);
    expect(ctx.actions).toEqual(['enter:null', 'email:first', 'exit:merged:person-b']);
  });

  it('answers false for a journey that finished or never existed', async () => {
    const { actions, journeys, input } = setup([email('only')]);
    await journeys.start(input);
    expect(await journeys.exitMerged('j-a', notice)).toBe(false);
    expect(await journeys.exitMerged('no-such-journey', notice)).toBe(false);
    expect(actions).toEqual(['enter:null', 'email:only', 'exit:completed:undefined']);
  });
});

describe('VirtualJourneys: a step whose activity fails', () => {
  // The rule is driver-core's failedStepResult, read from the error as the Temporal worker reads what an
  // activity throws (ensureApplicationFailure), so the simulator logs what the workflow logs.
  it.each<[string, () => Error, string]>([
    ['a typed, non-retryable failure keeps its type as the reason', () => ApplicationFailure.create({ message: 'not a phone number', type: 'invalid_phone', nonRetryable: true }), 'invalid_phone'],
    ['a crash mid-send found by the retry is outcome_unknown', () => ApplicationFailure.create({ message: 'not re-sending', type: 'outcome_unknown', nonRetryable: true }), 'outcome_unknown'],
    ['an untyped error is named by its class, as the worker names it', () => new TypeError('boom'), 'TypeError'],
  ])('%s; the journey goes on', async (_name, failure, reason) => {
    const { actions, skipReasons, journeys, input } = setup([sms('text'), email('after')], async (stepId) => {
      if (stepId === 'text') throw failure();
    });
    await journeys.start(input);
    expect(actions).toEqual(['enter:null', 'skip:text', 'email:after', 'exit:completed:undefined']);
    expect(skipReasons).toEqual([reason]);
  });
});
