/**
 * The one-input-at-a-time driver of the pure core (decide.ts): load the person's state, decide, execute
 * the effects and save, as a batch of one (batch.ts has the order and the crash argument). The
 * simulator, merge hand-offs in the simulator and unit tests drive the engine's logic through it; the
 * engine's partition loop (partition-loop.ts) runs the same decisions over batches with a state cache.
 */
import { userKeyOf, type EventEnvelope } from '../events/envelope';
import type { GlobalGuardrails } from '../decide/global-guardrails';
import type { RuleIndex } from '../match/rule-index';
import type { VersionedState } from '../../platform/stores/state-store';
import type { UserState } from '../state/behavior-state';
import type { JourneyStarter } from '../../platform/temporal/journey-starter';
import { Batch, type CommitPorts } from './batch';
import { decideAbsenceTimer, type AbsenceTimerControl, type AbsenceTimers } from '../decide/decide-absence';
import { decideAudienceEntry, type AudienceEntryControl } from '../decide/decide-audience';
import { decideEvent, decideJourneyEnded, type AbsorbControl, type DecideContext, type Decision, type EventOutcome, type JourneyEndedNotice } from '../decide/decide';

export type { AbsorbControl, EntryCache, EventOutcome, JourneyEndedNotice, RuleDecision } from '../decide/decide';
export { toJourneyEvent } from '../decide/decide';

export interface StateAccess {
  load(userKey: string): Promise<VersionedState>;
  /** Many at once (the partition loop's cache misses of one batch); absent: one `load` each. */
  loadMany?(userKeys: readonly string[]): Promise<Map<string, VersionedState>>;
  save(state: UserState, revision: number): Promise<number>;
}

export interface ProcessorDeps {
  rules: RuleIndex;
  state: StateAccess;
  journeys: JourneyStarter;
  waitScale: number;
  /** Global quiet hours, frequency caps and default time zone; rules override them per channel. */
  guardrails?: GlobalGuardrails;
  /** Where an identify's phone trait is recorded, so an inbound SMS "STOP" finds its user. */
  phones?: { set(phone: string, userId: string): Promise<unknown> };
  /** Passes messages on to another person's partition (identity merges; see merge-people.ts). */
  handoff: Handoff;
  /** Where absence triggers' timers go (needed when a rule has an absence trigger). */
  absenceTimers?: AbsenceTimers;
  /** Record every condition leaf's value in the decisions (for `explain`). */
  withLeaves?: boolean;
}

/** How merges move between partitions; NATS in the engine, direct calls in the simulator. */
export interface Handoff {
  /** An event for a person merged into `to`: deliver it to `to` instead (idempotent). */
  forward(to: string, event: EventEnvelope): Promise<void>;
  /** A journey-ended notice for a person merged into `to` (their journey markers moved there). */
  forwardEnded(to: string, notice: JourneyEndedNotice): Promise<void>;
  /** A merged-away person's whole state, for the survivor's partition (idempotent). */
  absorb(into: string, control: AbsorbControl): Promise<void>;
}

export class EventProcessor {
  readonly context: DecideContext;
  /** What every batch of one commits to (built once: `run` is called for every input). */
  private readonly ports: CommitPorts;

  constructor(private readonly deps: ProcessorDeps) {
    this.context = { rules: deps.rules, waitScale: deps.waitScale, ...(deps.guardrails ? { guardrails: deps.guardrails } : {}), withLeaves: deps.withLeaves ?? true };
    this.ports = { state: deps.state, journeys: deps.journeys, handoff: deps.handoff, ...(deps.phones ? { phones: deps.phones } : {}), ...(deps.absenceTimers ? { absenceTimers: deps.absenceTimers } : {}), concurrency: 1 };
  }

  /** `person`: who the identity resolver says the event belongs to (default: its userId ?? anonymousId). */
  process(event: EventEnvelope, seq: number, person = userKeyOf(event)): Promise<EventOutcome> {
    return this.run(person, (state) => decideEvent(this.context, state, event, seq, person));
  }

  /** A journey of the person ended: its marker goes, so the person may enter the rule again. */
  journeyEnded(notice: JourneyEndedNotice): Promise<EventOutcome> {
    return this.run(notice.person, (state) => decideJourneyEnded(state, notice));
  }

  /** An audience run enters the person (engine/audience/), at stream sequence `seq` of their partition. */
  audienceEntry(control: AudienceEntryControl, seq: number): Promise<EventOutcome> {
    return this.run(control.person, (state) => decideAudienceEntry(this.context, state, control, seq));
  }

  /** An absence timer came due (decide-absence.ts), at stream sequence `seq` of the person's partition. */
  absenceTimer(control: AbsenceTimerControl, seq: number): Promise<EventOutcome> {
    return this.run(control.person, (state) => decideAbsenceTimer(this.context, state, control, seq));
  }

  /** Loads `person`, decides with `decide`, executes and saves (a batch of one). */
  async run(person: string, decide: (state: UserState) => Decision): Promise<EventOutcome> {
    const batch = new Batch();
    batch.admit(person, await this.deps.state.load(person));
    const decision = decide(batch.stateOf(person));
    batch.apply(person, decision);
    await batch.commit(this.ports);
    return decision.outcome;
  }

  get rules(): RuleIndex {
    return this.deps.rules;
  }
}
