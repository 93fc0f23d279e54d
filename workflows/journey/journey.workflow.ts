/**
 * The one generic journey workflow: a thin Temporal driver around the pure step machine. It executes
 * the machine's commands (activities for sends and conditions, durable timers for waits) and feeds
 * their outcomes and the signals back in by the rules in driver-core.ts, which the simulator follows
 * too. Deterministic: no I/O here; the clock is Temporal's workflow clock (Date.now() inside the
 * workflow sandbox is replayed from history).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, condition, patched, proxyActivities, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { JourneyActivities } from '../activities/create-activities';
import type { JourneyEndedActivities } from '../activities/journey-ended';
import type { JourneyEventLogActivities } from '../activities/journey-event-log';
import { journeyRecorder, recordMetaOf, type PendingJourneyRecord } from './journey-records';
import { machineContextFor, type JourneyInput, type JourneyResult } from './journey-input';
import { startJourney, type Command, type JourneyAction, type MachineContext } from './machine';
import { advance, emptyInbox, evaluateInput, performStepInput, receiveEvent, receiveMerged, receiveRuleChanged, takeFromInbox, wakesWait, type DriverInput } from './driver-core';
import { assertNever } from '../../shared/assert-never';
import { sendQueueOf } from './send-queues';
import { journeyEventSignal, journeyLogQuery, journeyMergedSignal, journeyRuleChangedSignal } from './signals';

const SEND_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 },
} as const;
const sends = proxyActivities<JourneyActivities>(SEND_OPTIONS);
// Throttled broadcast sends (send-queues.ts): the same activity on the channel's rate-limited queue, where
// it may wait as long as the rate needs (no schedule-to-start timeout), then runs under the same limits.
const throttledSends = new Map<string, JourneyActivities>();
const sendsOn = (taskQueue: string): JourneyActivities => {
  let proxy = throttledSends.get(taskQueue);
  if (!proxy) throttledSends.set(taskQueue, (proxy = proxyActivities<JourneyActivities>({ ...SEND_OPTIONS, taskQueue })));
  return proxy;
};
const conditions = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 10 },
});

// Until it gets through: the engine keeps the person out of the rule until it hears of the end.
const lifecycle = proxyActivities<JourneyEndedActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

// The journey event log: retried until it gets through (the ids make every retry harmless).
const journal = proxyActivities<JourneyEventLogActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

// Registered by `nudge setup temporal` and the dev server (platform/temporal/search-attributes.ts).
const ConvertedAttribute = defineSearchAttributeKey('NudgeConverted', SearchAttributeType.BOOL);
const ExitReasonAttribute = defineSearchAttributeKey('NudgeExitReason', SearchAttributeType.KEYWORD);

const workflowClock = () => Date.now();

export async function journeyWorkflow(input: JourneyInput): Promise<JourneyResult> {
  if (input.v !== 1) throw ApplicationFailure.nonRetryable(`unsupported journey input version ${String(input.v)}`);
  const { rule } = input;
  const planned: MachineContext = machineContextFor(input);
  // Allowed lateness (a wait and a re-check before the first send) came later; only inputs that ask for
  // it carry `recheck`, and the patch marker keeps any history recorded without it replaying as it ran.
  const rechecked: MachineContext = planned.recheck && !patched('trigger-recheck') ? { ...planned, recheck: undefined } : planned;
  // The journey event log and goals came later: a history recorded before them replays without either.
  const logged = patched('journey-event-log');
  const withGoal: MachineContext = logged ? rechecked : { ...rechecked, goal: undefined };
  // Goal events from before the entry were counted as conversions at first; histories from then replay so.
  const ctx: MachineContext = withGoal.goalFrom !== undefined && !patched('goal-from-entry') ? { ...withGoal, goalFrom: undefined } : withGoal;
  const recorder = journeyRecorder(ctx, recordMetaOf(input));
  const unwritten: PendingJourneyRecord[] = [];
  // Writes in flight: the journey does not wait for its log (timers and sends start at once), only its
  // end does. The writes retry until they get through, so none of them rejects but by cancellation.
  const writing: Promise<void>[] = [];
  let converted = false;

  const log: JourneyAction[] = [];
  const inbox = emptyInbox();
  setHandler(journeyEventSignal, (event) => {
    receiveEvent(inbox, event);
  });
  setHandler(journeyMergedSignal, (notice) => receiveMerged(inbox, notice));
  setHandler(journeyRuleChangedSignal, (notice) => receiveRuleChanged(inbox, notice));
  setHandler(journeyLogQuery, () => log);

  const note = (transition: { log: JourneyAction[] }) => {
    log.push(...transition.log);
    if (transition.log.some((action) => action.action === 'converted')) converted = true;
    if (logged) unwritten.push(...recorder.take(transition.log));
  };
  if (logged) unwritten.push(...recorder.enter(workflowClock()));
  let t = startJourney(ctx, workflowClock());
  note(t);
  const feed = (driverInput: DriverInput) => {
    t = advance(ctx, t.state, driverInput, workflowClock());
    note(t);
  };

  for (;;) {
    const command = t.command;
    const pending = takeFromInbox(inbox, command);
    if (pending) {
      feed(pending);
      continue;
    }
    // What the journey did so far goes to the log as it acts again; readers order a journey by `seq`.
    if (unwritten.length) writing.push(journal.recordJourneyEvents(unwritten.splice(0)));
    switch (command.kind) {
      case 'finish':
        await Promise.all(writing);
        upsertMemo({ outcome: command.reason, actions: log.length });
        if (logged) upsertSearchAttributes([{ key: ConvertedAttribute, value: converted }, { key: ExitReasonAttribute, value: command.reason }]);
        // Journeys started before this notice existed replay without it up to here, and send it now.
        if (patched('journey-ended-notice')) await lifecycle.announceJourneyEnded({ person: input.userId, ruleId: rule.id, workflowId: input.journeyId });
        return { journeyId: input.journeyId, ruleId: rule.id, ruleVersion: rule.version, reason: command.reason, log, ...(input.assignment ? { assignment: input.assignment } : {}) };
      case 'perform':
        feed(await perform(input, command));
        break;
      case 'evaluate':
        feed({ kind: 'evaluated', holds: await conditions.evaluateJourneyConditions(evaluateInput(input, command)) });
        break;
      case 'wait': {
        const remaining = command.until - workflowClock();
        // An event, a merge or a rule-changed notice wakes the wait early; the loop's top lets it in.
        const woken = () => wakesWait(inbox);
        const interrupted = !Number.isFinite(remaining)
          ? (await condition(woken), true)
          : remaining > 0 ? await condition(woken, remaining) : false;
        if (!interrupted) feed({ kind: 'timer', at: Math.max(workflowClock(), command.until) });
        break;
      }
      default:
        assertNever(command, 'journey command');
    }
  }
}

/**
 * Runs one action step's activity. An ActivityFailure (non-retryable, or out of retries) is the step's
 * outcome, which driver-core turns into a recorded skip; anything else (the workflow being cancelled)
 * is not, and propagates.
 */
async function perform(input: JourneyInput, command: Extract<Command, { kind: 'perform' }>): Promise<DriverInput> {
  try {
    const queue = sendQueueOf(input.sendQueues, command.step);
    // Only inputs of audience journeys carry sendQueues; the marker keeps histories from before replaying as they ran.
    const activities = queue !== undefined && patched('throttled-send-queues') ? sendsOn(queue) : sends;
    return { kind: 'performed', result: await activities.performStep(performStepInput(input, command)) };
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const cause = error.cause;
    return { kind: 'performFailed', failure: { type: cause instanceof ApplicationFailure ? cause.type : null, message: cause?.message ?? error.message } };
  }
}
