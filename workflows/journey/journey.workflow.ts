/**
 * The one generic journey workflow: a thin Temporal driver around the pure step machine. It executes
 * the machine's commands (activities for sends and conditions, durable timers for waits) and feeds
 * events that arrive as signals back in. Deterministic: no I/O here; the clock is Temporal's workflow
 * clock (Date.now() inside the workflow sandbox is replayed from history).
 */
import { ActivityFailure, ApplicationFailure, condition, patched, proxyActivities, setHandler, upsertMemo } from '@temporalio/workflow';
import type { JourneyActivities } from '../activities/create-activities';
import type { JourneyEndedActivities } from '../activities/journey-ended';
import { machineContextFor, type JourneyInput, type JourneyResult } from './journey-input';
import { onEvaluated, onEvent, onMerged, onPerformed, onRuleChanged, onTimer, startJourney, type JourneyAction, type JourneyEvent, type MachineContext, type MergedNotice, type PerformResult, type RuleChangedNotice, type Transition } from './machine';
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
  const inbox: JourneyEvent[] = [];
  const seen = new Set<string>();
  setHandler(journeyEventSignal, (event) => {
    if (seen.has(event.messageId)) return; // a redelivered event is signalled again; act on it once
    seen.add(event.messageId);
    inbox.push(event);
  });
  // The first merge notice decides; a repeated one (the engine retrying after a crash) changes nothing.
  let merged = null as MergedNotice | null;
  setHandler(journeyMergedSignal, (notice) => {
    merged ??= notice;
  });
  // Likewise the first rule-changed notice (every engine may send one after a deploy).
  let ruleChanged = null as RuleChangedNotice | null;
  setHandler(journeyRuleChangedSignal, (notice) => {
    ruleChanged ??= notice;
  });
  setHandler(journeyLogQuery, () => log);

  let coupon: string | null = null;
  const record = (t: Transition) => {
    log.push(...t.log);
    coupon = t.state.coupon;
    return t;
  };

  let t = record(startJourney(ctx, workflowClock()));
  for (;;) {
    const command = t.command;
    // A merge ends the journey before anything else runs. It is only looked at between commands, so an
    // activity already in flight (a send) finishes and is logged first: a send is never cut off half-way.
    if (merged && command.kind !== 'finish') {
      t = record(onMerged(ctx, t.state, merged, workflowClock()));
      continue;
    }
    if (ruleChanged && command.kind !== 'finish') {
      t = record(onRuleChanged(ctx, t.state, ruleChanged, workflowClock()));
      continue;
    }
    // Events that arrived meanwhile are considered before the next step runs, so an exit event wins.
    if ((command.kind === 'perform' || command.kind === 'wait') && inbox.length > 0) {
      t = record(onEvent(ctx, t.state, inbox.shift()!, workflowClock()));
      continue;
    }
    switch (command.kind) {
      case 'finish':
        upsertMemo({ outcome: command.reason, actions: log.length });
        // Journeys started before this notice existed replay without it up to here, and send it now.
        if (patched('journey-ended-notice')) await lifecycle.announceJourneyEnded({ person: input.userId, ruleId: rule.id, workflowId: input.journeyId });
        return { journeyId: input.journeyId, ruleId: rule.id, ruleVersion: rule.version, reason: command.reason, log, ...(input.assignment ? { assignment: input.assignment } : {}) };
      case 'perform': {
        const result = await perform(input, command.step, coupon);
        t = record(onPerformed(ctx, t.state, result, workflowClock()));
        break;
      }
      case 'evaluate': {
        const holds = await conditions.evaluateJourneyConditions({ userId: input.userId, conditions: command.conditions, event: command.event ?? input.trigger, ...(command.asOf ? { asOf: command.asOf } : {}) });
        t = record(onEvaluated(ctx, t.state, holds, workflowClock()));
        break;
      }
      case 'wait': {
        const remaining = command.until - workflowClock();
        // An event, a merge or a rule-changed notice wakes the wait early; the loop's top handles either.
        const woken = () => inbox.length > 0 || merged !== null || ruleChanged !== null;
        const interrupted = !Number.isFinite(remaining)
          ? (await condition(woken), true)
          : remaining > 0 ? await condition(woken, remaining) : false;
        if (!interrupted) t = record(onTimer(ctx, t.state, Math.max(workflowClock(), command.until)));
        break;
      }
    }
  }
}

/** Runs one action step's activity; a permanent failure becomes a recorded skip, not a failed journey. */
async function perform(input: JourneyInput, step: Parameters<JourneyActivities['performStep']>[0]['step'], coupon: string | null): Promise<PerformResult> {
  try {
    const frequencyCap = step.type === 'email' || step.type === 'sms' ? input.frequencyCaps?.[step.type] : undefined;
    return await sends.performStep({ journeyId: input.journeyId, userId: input.userId, rule: { id: input.rule.id, version: input.rule.version }, step, trigger: input.trigger, traits: input.traits, coupon, ...(frequencyCap ? { frequencyCap } : {}), ...(input.entry ? { entry: input.entry } : {}) });
  } catch (error) {
    // Non-retryable failures (invalid number, rejected address) and exhausted retries are recorded as
    // skips with the provider's reason; the journey goes on with its next step.
    if (error instanceof ActivityFailure) {
      const cause = error.cause;
      const reason = cause instanceof ApplicationFailure && cause.type ? cause.type : 'delivery_failed';
      return { status: 'skipped', reason, detail: cause?.message ?? error.message };
    }
    throw error;
  }
}
