/**
 * The one generic journey workflow: a thin Temporal driver around the pure step machine. It executes
 * the machine's commands (activities for sends and conditions, durable timers for waits) and feeds
 * their outcomes and the signals back in by the rules in driver-core.ts, which the simulator follows
 * too. Deterministic: no I/O here; the clock is Temporal's workflow clock (Date.now() inside the
 * workflow sandbox is replayed from history).
 */
import { ActivityFailure, ApplicationFailure, condition, patched, proxyActivities, setHandler, upsertMemo } from '@temporalio/workflow';
import type { JourneyActivities } from '../activities/create-activities';
import type { JourneyEndedActivities } from '../activities/journey-ended';
import { machineContextFor, type JourneyInput, type JourneyResult } from './journey-input';
import { startJourney, type Command, type JourneyAction, type MachineContext } from './machine';
import { advance, emptyInbox, evaluateInput, performStepInput, receiveEvent, receiveMerged, receiveRuleChanged, takeFromInbox, wakesWait, type DriverInput } from './driver-core';
import { assertNever } from '../../shared/assert-never';
import { journeyEventSignal, journeyLogQuery, journeyMergedSignal, journeyRuleChangedSignal } from './signals';

const sends = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 },
});
const conditions = proxyActivities<JourneyActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 10 },
});

// Until it gets through: the engine keeps the person out of the rule until it hears of the end.
const lifecycle = proxyActivities<JourneyEndedActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const workflowClock = () => Date.now();

export async function journeyWorkflow(input: JourneyInput): Promise<JourneyResult> {
  if (input.v !== 1) throw ApplicationFailure.nonRetryable(`unsupported journey input version ${String(input.v)}`);
  const { rule } = input;
  const planned: MachineContext = machineContextFor(input);
  // Allowed lateness (a wait and a re-check before the first send) came later; only inputs that ask for
  // it carry `recheck`, and the patch marker keeps any history recorded without it replaying as it ran.
  const ctx: MachineContext = planned.recheck && !patched('trigger-recheck') ? { ...planned, recheck: undefined } : planned;

  const log: JourneyAction[] = [];
  const inbox = emptyInbox();
  setHandler(journeyEventSignal, (event) => {
    receiveEvent(inbox, event);
  });
  setHandler(journeyMergedSignal, (notice) => receiveMerged(inbox, notice));
  setHandler(journeyRuleChangedSignal, (notice) => receiveRuleChanged(inbox, notice));
  setHandler(journeyLogQuery, () => log);

  let t = startJourney(ctx, workflowClock());
  log.push(...t.log);
  const feed = (driverInput: DriverInput) => {
    t = advance(ctx, t.state, driverInput, workflowClock());
    log.push(...t.log);
  };

  for (;;) {
    const command = t.command;
    const pending = takeFromInbox(inbox, command);
    if (pending) {
      feed(pending);
      continue;
    }
    switch (command.kind) {
      case 'finish':
        upsertMemo({ outcome: command.reason, actions: log.length });
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
    return { kind: 'performed', result: await sends.performStep(performStepInput(input, command)) };
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const cause = error.cause;
    return { kind: 'performFailed', failure: { type: cause instanceof ApplicationFailure ? cause.type : null, message: cause?.message ?? error.message } };
  }
}
