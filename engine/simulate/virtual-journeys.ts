/**
 * Journeys on a virtual clock: the simulator's JourneyStarter. It drives the same step machine and the
 * same activities as the Temporal workflow, with waits as virtual timers, by the same driving rules
 * (workflows/journey/driver-core.ts: how signals queue, what comes before a command, what a failed
 * activity means); it only executes the commands.
 */
import { ensureApplicationFailure } from '@temporalio/common';
import { Heap } from 'heap-js';
import type { JourneyActivities } from '../../workflows/activities/create-activities';
import { machineContextFor, type JourneyInput } from '../../workflows/journey/journey-input';
import { advance, emptyInbox, evaluateInput, performStepInput, receiveEvent, receiveMerged, takeFromInbox, type DriverInput, type Inbox } from '../../workflows/journey/driver-core';
import { startJourney, type Command, type JourneyAction, type JourneyEvent, type MachineContext, type MergedNotice, type Transition } from '../../workflows/journey/machine';
import { assertNever } from '../../shared/assert-never';
import type { JourneyStarter } from '../../platform/temporal/journey-starter';
import { journeyRecorder, recordMetaOf, type JourneyRecorder } from '../../workflows/journey/journey-records';
import type { JourneyEventRecord } from '../../workflows/journey/journey-event-record';

interface VirtualJourney {
  input: JourneyInput;
  ctx: MachineContext;
  t: Transition;
  inbox: Inbox;
  /** The journey event log's records of this journey, by the same core as the workflow's; null when nobody listens (onRecord). */
  recorder: JourneyRecorder | null;
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
    /** Each journey event record, as the workflow writes it (recordedAt: the virtual clock). */
    private readonly onRecord?: (record: JourneyEventRecord) => void,
  ) {}

  async start(input: JourneyInput): Promise<'started' | 'already_started'> {
    if (this.journeys.has(input.journeyId)) return 'already_started';
    const ctx: MachineContext = machineContextFor(input);
    this.onAction(input, { at: this.clock.now, step: null, action: 'enter' });
    // Records nobody reads are not built: they only feed onRecord, and per action they cost a copy and ISO dates.
    const recorder = this.onRecord ? journeyRecorder(ctx, recordMetaOf(input)) : null;
    if (recorder) this.emit(recorder.enter(this.clock.now));
    const journey: VirtualJourney = { input, ctx, t: startJourney(ctx, this.clock.now), inbox: emptyInbox(), recorder, driving: false, done: false };
    this.journeys.set(input.journeyId, journey);
    this.record(journey, journey.t);
    await this.drive(journey);
    return 'started';
  }

  async signal(workflowId: string, event: JourneyEvent): Promise<boolean> {
    const journey = this.journeys.get(workflowId);
    if (!journey || journey.done) return false;
    if (receiveEvent(journey.inbox, event)) await this.drive(journey);
    return true;
  }

  async exitMerged(workflowId: string, notice: MergedNotice): Promise<boolean> {
    const journey = this.journeys.get(workflowId);
    if (!journey || journey.done) return false;
    receiveMerged(journey.inbox, notice);
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
    const state = journey?.t.state;
    if (!journey || journey.done || (state?.kind !== 'waiting' && state?.kind !== 'watching') || state.until !== timer.at) return; // superseded
    this.feed(journey, { kind: 'timer', at: timer.at });
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
      const pending = takeFromInbox(journey.inbox, command);
      if (pending) {
        this.feed(journey, pending);
        continue;
      }
      switch (command.kind) {
        case 'finish':
          journey.done = true;
          this.onFinished?.(journey.input);
          return;
        case 'perform':
          this.feed(journey, await this.perform(journey.input, command));
          break;
        case 'evaluate':
          this.feed(journey, { kind: 'evaluated', holds: await this.activities.evaluateJourneyConditions(evaluateInput(journey.input, command)) });
          break;
        case 'wait':
          if (Number.isFinite(command.until)) this.schedule(command.until, journey.input.journeyId);
          return;
        default:
          assertNever(command, 'journey command');
      }
    }
  }

  /**
   * Runs one action step's activity, in-process. Whatever it throws is the activity's failure, read as
   * the Temporal worker reads it (ensureApplicationFailure: its type and message), so driver-core
   * records the same skip the workflow does. (No retries here: a retryable failure counts as the last.)
   */
  private async perform(input: JourneyInput, command: Extract<Command, { kind: 'perform' }>): Promise<DriverInput> {
    try {
      return { kind: 'performed', result: await this.activities.performStep(performStepInput(input, command)) };
    } catch (error) {
      const failure = ensureApplicationFailure(error);
      return { kind: 'performFailed', failure: { type: failure.type, message: failure.message } };
    }
  }

  private schedule(at: number, journeyId: string): void {
    const key = `${journeyId}@${at}`;
    if (this.scheduled.has(key)) return; // an event interrupted the wait without ending it
    this.scheduled.add(key);
    this.timers.push({ at, seq: ++this.timerSeq, journeyId });
  }

  /** Feeds one input to the machine (with the clock's time) and reports what it logged. */
  private feed(journey: VirtualJourney, input: DriverInput): void {
    journey.t = this.record(journey, advance(journey.ctx, journey.t.state, input, this.clock.now));
  }

  private record(journey: VirtualJourney, t: Transition): Transition {
    for (const action of t.log) this.onAction(journey.input, action);
    if (journey.recorder) this.emit(journey.recorder.take(t.log));
    return t;
  }

  private emit(records: ReturnType<JourneyRecorder['take']>): void {
    if (!this.onRecord) return;
    const recordedAt = new Date(this.clock.now).toISOString();
    for (const record of records) this.onRecord({ ...record, recordedAt } as JourneyEventRecord);
  }
}
