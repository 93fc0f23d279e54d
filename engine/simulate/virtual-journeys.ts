/**
 * Journeys on a virtual clock: the simulator's JourneyStarter. It drives the same step machine and the
 * same activities as the Temporal workflow, with waits as virtual timers, and mirrors the workflow's
 * driving rules exactly (a merge notice first, then queued events, are considered before every step
 * and during every wait; a step already running finishes first).
 */
import { ApplicationFailure } from '@temporalio/common';
import { Heap } from 'heap-js';
import type { JourneyActivities } from '../../workflows/activities/create-activities';
import { machineContextFor, type JourneyInput } from '../../workflows/journey/journey-input';
import { onEvaluated, onEvent, onMerged, onPerformed, onTimer, startJourney, type JourneyAction, type JourneyEvent, type MachineContext, type MergedNotice, type PerformResult, type Transition } from '../../workflows/journey/machine';
import type { JourneyStarter } from '../../platform/temporal/journey-starter';

interface VirtualJourney {
  input: JourneyInput;
  ctx: MachineContext;
  t: Transition;
  inbox: JourneyEvent[];
  seen: Set<string>;
  coupon: string | null;
  /** The first merge notice received (the workflow keeps the first one too). */
  merged: MergedNotice | null;
  /** A drive loop is running (awaiting an activity): a notice or event that arrives now waits for its next turn. */
  driving: boolean;
  done: boolean;
}

export interface TimerEntry {
  at: number;
  seq: number;
  journeyId: string;
}

/** Every action a journey takes, plus its entry (which the machine itself does not log). */
export type JourneyListener = (input: JourneyInput, action: JourneyAction | { at: number; step: null; action: 'enter' }) => void;

export class VirtualJourneys implements JourneyStarter {
  private readonly journeys = new Map<string, VirtualJourney>();
  private readonly timers = new Heap<TimerEntry>((a, b) => a.at - b.at || a.seq - b.seq);
  private readonly scheduled = new Set<string>();
  private timerSeq = 0;

  constructor(
    private readonly activities: JourneyActivities,
    private readonly clock: { now: number },
    private readonly onAction: JourneyListener,
    /** A journey finished: the simulator tells its person's state, as the workflow's last activity does in production. */
    private readonly onFinished?: (input: JourneyInput) => void,
  ) {}

  async start(input: JourneyInput): Promise<'started' | 'already_started'> {
    if (this.journeys.has(input.journeyId)) return 'already_started';
    const ctx: MachineContext = machineContextFor(input);
    this.onAction(input, { at: this.clock.now, step: null, action: 'enter' });
    const journey: VirtualJourney = { input, ctx, t: startJourney(ctx, this.clock.now), inbox: [], seen: new Set(), coupon: null, merged: null, driving: false, done: false };
    this.journeys.set(input.journeyId, journey);
    this.record(journey, journey.t);
    await this.drive(journey);
    return 'started';
  }

  async signal(workflowId: string, event: JourneyEvent): Promise<boolean> {
    const journey = this.journeys.get(workflowId);
    if (!journey || journey.done) return false;
    if (journey.seen.has(event.messageId)) return true;
    journey.seen.add(event.messageId);
    journey.inbox.push(event);
    await this.drive(journey);
    return true;
  }

  async exitMerged(workflowId: string, notice: MergedNotice): Promise<boolean> {
    const journey = this.journeys.get(workflowId);
    if (!journey || journey.done) return false;
    journey.merged ??= notice;
    await this.drive(journey);
    return true;
  }

  async isRunning(workflowId: string): Promise<boolean> {
    const journey = this.journeys.get(workflowId);
    return Boolean(journey && !journey.done);
  }

  /** The earliest pending timer, if any (the simulator advances the clock to it). */
  nextTimer(): TimerEntry | undefined {
    return this.timers.peek();
  }

  /** Fires the earliest timer; the clock must already stand at its time. */
  async fireNextTimer(): Promise<void> {
    const timer = this.timers.pop();
    if (!timer) return;
    this.scheduled.delete(`${timer.journeyId}@${timer.at}`);
    const journey = this.journeys.get(timer.journeyId);
    if (!journey || journey.done || journey.t.state.waitUntil !== timer.at) return; // superseded
    journey.t = this.record(journey, onTimer(journey.ctx, journey.t.state, timer.at));
    await this.drive(journey);
  }

  /** Like the workflow, one loop per journey: a second caller leaves its input for the running loop. */
  private async drive(journey: VirtualJourney): Promise<void> {
    if (journey.driving) return;
    journey.driving = true;
    try {
      await this.run(journey);
    } finally {
      journey.driving = false;
    }
  }

  private async run(journey: VirtualJourney): Promise<void> {
    for (;;) {
      const command = journey.t.command;
      const now = this.clock.now;
      if (journey.merged && command.kind !== 'finish') {
        journey.t = this.record(journey, onMerged(journey.ctx, journey.t.state, journey.merged, now));
        continue;
      }
      if ((command.kind === 'perform' || command.kind === 'wait') && journey.inbox.length > 0) {
        journey.t = this.record(journey, onEvent(journey.ctx, journey.t.state, journey.inbox.shift()!, now));
        continue;
      }
      switch (command.kind) {
        case 'finish':
          journey.done = true;
          this.onFinished?.(journey.input);
          return;
        case 'perform': {
          const result = await this.perform(journey, command.step);
          journey.t = this.record(journey, onPerformed(journey.ctx, journey.t.state, result, now));
          break;
        }
        case 'evaluate': {
          const holds = await this.activities.evaluateJourneyConditions({ userId: journey.input.userId, conditions: command.conditions, event: command.event ?? journey.input.trigger, ...(command.asOf ? { asOf: command.asOf } : {}) });
          journey.t = this.record(journey, onEvaluated(journey.ctx, journey.t.state, holds, now));
          break;
        }
        case 'wait':
          if (Number.isFinite(command.until)) this.schedule(command.until, journey.input.journeyId);
          return;
      }
    }
  }

  private async perform(journey: VirtualJourney, step: Parameters<JourneyActivities['performStep']>[0]['step']): Promise<PerformResult> {
    const { input } = journey;
    try {
      const frequencyCap = step.type === 'email' || step.type === 'sms' ? input.frequencyCaps?.[step.type] : undefined;
      return await this.activities.performStep({ journeyId: input.journeyId, userId: input.userId, rule: { id: input.rule.id, version: input.rule.version }, step, trigger: input.trigger, traits: input.traits, coupon: journey.coupon, ...(frequencyCap ? { frequencyCap } : {}), ...(input.entry ? { entry: input.entry } : {}) });
    } catch (error) {
      // The same mapping as the workflow: a failed activity becomes a recorded skip with its reason.
      if (error instanceof ApplicationFailure) return { status: 'skipped', reason: error.type ?? 'delivery_failed', detail: error.message };
      return { status: 'skipped', reason: 'delivery_failed', detail: (error as Error).message };
    }
  }

  private schedule(at: number, journeyId: string): void {
    const key = `${journeyId}@${at}`;
    if (this.scheduled.has(key)) return; // an event interrupted the wait without ending it
    this.scheduled.add(key);
    this.timers.push({ at, seq: ++this.timerSeq, journeyId });
  }

  private record(journey: VirtualJourney, t: Transition): Transition {
    journey.coupon = t.state.coupon;
    for (const action of t.log) this.onAction(journey.input, action);
    return t;
  }
}
