/**
 * One batch of a partition's inputs, decided in memory and then made durable together. The decide
 * functions (decide.ts) update the people in the batch's working set; `commit` then executes what they
 * decided, in the order that makes a crash anywhere safe:
 *   1. effects that must precede the save — journey starts (deterministic workflow ids, reuse rejected),
 *      forwards and hand-offs (de-duplicated message ids), merge exits and phone records (idempotent) —
 *      concurrently, under a limit, started in decision order;
 *   2. every changed state, concurrently, compare-and-set on the revision it was read at;
 *   3. the outbox signals of each person in order (journeys drop a messageId they have seen), then
 *      the states with their outbox cleared.
 * Only then does the caller move the partition's checkpoint. A crash before that replays the batch:
 * a person whose state was saved recognises the replayed inputs by its lastSeq and skips them (their
 * effects already ran in step 1), the others are decided again, their effects repeat harmlessly.
 * A commit that fails part-way can be called again: finished steps are not repeated.
 */
import type { JourneyEvent } from '../../workflows/journey/machine';
import type { UserState } from '../state/behavior-state';
import type { VersionedState } from '../../platform/stores/state-store';
import { JourneyRejectedError, type JourneyStarter } from '../../platform/temporal/journey-starter';
import { concurrently } from './concurrently';
import type { Decision, Effect, EventOutcome } from '../decide/decide';
import type { AbsenceTimers } from '../decide/decide-absence';
import type { Handoff, StateAccess } from './process-event';

export interface CommitPorts {
  state: StateAccess;
  journeys: JourneyStarter;
  handoff: Handoff;
  /** Where an identify's phone trait is recorded, so an inbound SMS "STOP" finds its person. */
  phones?: { set(phone: string, userId: string): Promise<unknown> };
  /** Where absence timers are armed and disarmed (JetStream scheduled messages; the simulator's virtual clock). */
  absenceTimers?: AbsenceTimers;
  /** Most effects or writes in flight at once. */
  concurrency: number;
}

interface Slot extends VersionedState {
  dirty: boolean;
}

interface PendingEffect {
  effect: Effect;
  outcome: EventOutcome;
  done: boolean;
}

export class Batch {
  private readonly slots = new Map<string, Slot>();
  private readonly effects: PendingEffect[] = [];
  readonly outcomes: EventOutcome[] = [];

  /** Puts a person into the working set (from the cache or the store) before inputs are decided for them. */
  admit(userKey: string, loaded: VersionedState): void {
    if (!this.slots.has(userKey)) this.slots.set(userKey, { state: loaded.state, revision: loaded.revision, dirty: false });
  }

  has(userKey: string): boolean {
    return this.slots.has(userKey);
  }

  stateOf(userKey: string): UserState {
    const slot = this.slots.get(userKey);
    if (!slot) throw new Error(`person "${userKey}" was not admitted to the batch`);
    return slot.state;
  }

  /** Records a decision for `userKey`; `report` false keeps the outcome out of `outcomes` (internal notices). */
  apply(userKey: string, decision: Decision, report = true): void {
    if (decision.state) {
      const slot = this.slots.get(userKey)!;
      slot.state = decision.state;
      slot.dirty = true;
    }
    for (const effect of decision.effects) this.effects.push({ effect, outcome: decision.outcome, done: false });
    if (report) this.outcomes.push(decision.outcome);
  }

  /** Marks a person changed outside a decision (a stale journey marker removed at load). */
  replace(userKey: string, state: UserState): void {
    const slot = this.slots.get(userKey)!;
    slot.state = state;
    slot.dirty = true;
  }

  /** The working set after commit: every person with the revision now stored. */
  committed(): [string, VersionedState][] {
    return [...this.slots.entries()].map(([userKey, { state, revision }]) => [userKey, { state, revision }]);
  }

  async commit(ports: CommitPorts): Promise<void> {
    supersedeTimers(this.effects);
    if (this.effects.length) await concurrently(this.effects.filter((e) => !e.done), ports.concurrency, async (pending) => {
      await runEffect(ports, pending, (userKey, ruleId, workflowId) => this.dropMarker(userKey, ruleId, workflowId));
      pending.done = true;
    });
    await this.saveDirty(ports);
    const signalling: [string, Slot][] = [];
    for (const entry of this.slots) if (entry[1].state.outbox?.length) signalling.push(entry);
    if (!signalling.length) return; // (most inputs: the second round would find nothing to send or save)
    await concurrently(signalling, ports.concurrency, async ([userKey, slot]) => {
      slot.state = await sendOutbox(ports.journeys, slot.state, this.outcomeOf(userKey));
      slot.dirty = true;
    });
    await this.saveDirty(ports);
  }

  private dropMarker(userKey: string, ruleId: string, workflowId: string): void {
    const slot = this.slots.get(userKey);
    if (!slot || slot.state.journeys[ruleId]?.workflowId !== workflowId) return;
    const journeys = { ...slot.state.journeys };
    delete journeys[ruleId];
    slot.state = { ...slot.state, journeys };
    slot.dirty = true;
  }

  private async saveDirty(ports: CommitPorts): Promise<void> {
    const dirty: Slot[] = [];
    for (const slot of this.slots.values()) if (slot.dirty) dirty.push(slot);
    if (!dirty.length) return;
    await concurrently(dirty, ports.concurrency, async (slot) => {
      slot.revision = await ports.state.save(slot.state, slot.revision);
      slot.dirty = false;
    });
  }

  /** The last outcome reported for a person, where its signals are counted. */
  private outcomeOf(userKey: string): EventOutcome | undefined {
    for (let i = this.outcomes.length - 1; i >= 0; i--) if (this.outcomes[i]!.userKey === userKey) return this.outcomes[i];
    return undefined;
  }
}

async function runEffect(ports: CommitPorts, { effect, outcome }: PendingEffect, rejected: (userKey: string, ruleId: string, workflowId: string) => void): Promise<void> {
  switch (effect.kind) {
    case 'start': {
      const decision = outcome.decisions.find((d) => d.ruleId === effect.ruleId && 'workflowId' in d && d.workflowId === effect.input.journeyId);
      try {
        const result = await ports.journeys.start(effect.input);
        if (decision?.outcome === 'started') decision.outcome = result;
      } catch (error) {
        if (!(error instanceof JourneyRejectedError)) throw error;
        // Retrying cannot help: record why, and do not leave the person marked as in a journey.
        if (decision) Object.assign(decision, { outcome: 'rejected', detail: error.message });
        rejected(effect.input.userId, effect.ruleId, effect.input.journeyId);
      }
      return;
    }
    case 'forward':
      return ports.handoff.forward(effect.to, effect.event);
    case 'forwardEnded':
      return ports.handoff.forwardEnded(effect.to, effect.notice);
    case 'absorb':
      return ports.handoff.absorb(effect.into, effect.control);
    case 'exitMerged':
      await ports.journeys.exitMerged(effect.workflowId, effect.notice);
      return;
    case 'phone':
      await ports.phones?.set(effect.phone, effect.userKey);
      return;
    case 'armAbsence':
      return timers(ports).arm(effect.control);
    case 'disarmAbsence':
      return timers(ports).disarm(effect.person, effect.ruleId);
    default:
      return assertNever(effect);
  }
}

function timers(ports: CommitPorts): AbsenceTimers {
  if (!ports.absenceTimers) throw new Error('an absence trigger armed or disarmed a timer, but this driver was given no absence timers (CommitPorts.absenceTimers)');
  return ports.absenceTimers;
}

/**
 * Effects run concurrently, so two timer effects for one person and rule could land out of order: only
 * the last one of the batch (what the saved state says) is executed, the earlier ones count as done.
 */
function supersedeTimers(effects: PendingEffect[]): void {
  const last = new Map<string, PendingEffect>();
  for (const pending of effects) {
    const { effect } = pending;
    if (effect.kind === 'armAbsence') last.set(`${effect.control.ruleId}\u0000${effect.control.person}`, pending);
    else if (effect.kind === 'disarmAbsence') last.set(`${effect.ruleId}\u0000${effect.person}`, pending);
  }
  if (!last.size) return;
  const kept = new Set(last.values());
  for (const pending of effects) if ((pending.effect.kind === 'armAbsence' || pending.effect.kind === 'disarmAbsence') && !kept.has(pending)) pending.done = true;
}

/** Sends a state's outbox signals in order; a journey that no longer runs loses its marker. Returns the state without the outbox. */
export async function sendOutbox(journeys: JourneyStarter, state: UserState, outcome?: EventOutcome): Promise<UserState> {
  const markers = { ...state.journeys };
  for (const { ruleId, workflowId, event } of state.outbox ?? []) {
    if (await journeys.signal(workflowId, event as JourneyEvent)) outcome?.signalled.push(workflowId);
    else if (markers[ruleId]?.workflowId === workflowId) delete markers[ruleId]; // the journey has ended
  }
  return { ...state, journeys: markers, outbox: [] };
}

function assertNever(value: never): never {
  throw new Error(`unhandled effect ${JSON.stringify(value)}`);
}
