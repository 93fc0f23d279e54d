/**
 * The per-event pipeline: load the user's state, apply the event, signal running journeys that listen
 * for it, match the rules its name can trigger, start journeys the entry policy allows, then save the
 * state. Effects happen before the state is saved and are idempotent (deterministic workflow ids,
 * signals de-duplicated by messageId), so a crash anywhere followed by redelivery is safe; the event is
 * acknowledged by the caller only after `process` returns.
 */
import type { Rule } from '../../rules/schema/rule';
import { walkSteps } from '../../rules/schema/steps';
import { mergeChannelSettings } from '../../rules/schema/guardrails';
import { inHoldout } from '../../workflows/journey/assignment';
import type { EntrySnapshot, JourneyInput } from '../../workflows/journey/journey-input';
import type { GlobalGuardrails } from '../config';
import type { JourneyEvent } from '../../workflows/journey/machine';
import { behaviorEventOf, userKeyOf, type BehaviorEvent, type EventEnvelope } from '../events/envelope';
import { decideEntry } from '../match/entry-policy';
import type { LeafOutcome } from '../match/evaluate-conditions';
import type { CompiledRule as RuleCandidate, RuleIndex } from '../match/rule-index';
import { applyEvent, type UserState } from '../state/behavior-state';
import type { VersionedState } from '../state/state-store';
import type { JourneyStarter } from '../trigger/journey-starter';
import type { MergeRecord } from '../identity/identity-store';

export interface StateAccess {
  load(userKey: string): Promise<VersionedState>;
  save(state: UserState, revision: number): Promise<number>;
}

/** What happened with one candidate rule, with every condition leaf's value (for `explain`). */
export type RuleDecision = { ruleId: string; leaves: LeafOutcome[] } & (
  | { outcome: 'started' | 'already_started'; workflowId: string }
  | { outcome: 'no_match' }
  | { outcome: 'entry_policy' | 'already_in_journey'; detail: string }
);

/** The tag snapshot of journeys started by one event, computed at most once. */
export interface EntryCache {
  snapshot?: EntrySnapshot;
}

export interface EventOutcome {
  /** The person the event was applied to (the partition message's Nudge-Person). */
  userKey: string;
  /** event: a behavior or profile event; merge: another person's state was merged into this one. */
  kind?: 'event' | 'merge';
  /** Set when the person had been merged into another: the event was passed on to that person. */
  forwardedTo?: string;
  /** For kind merge: the person merged in. */
  mergedFrom?: string;
  /** True when the event had been applied before (a JetStream redelivery) and was skipped. */
  duplicate: boolean;
  signalled: string[];
  decisions: RuleDecision[];
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
}

/** How merges move between partitions; NATS in the engine, direct calls in the simulator. */
export interface Handoff {
  /** An event for a person merged into `to`: deliver it to `to` instead (idempotent). */
  forward(to: string, event: EventEnvelope): Promise<void>;
  /** A merged-away person's whole state, for the survivor's partition (idempotent). */
  absorb(into: string, control: AbsorbControl): Promise<void>;
}

/** The state of person `from` handed over to person `into`, with the merge that caused it. */
export interface AbsorbControl extends MergeRecord {
  state: UserState;
}

/** Event names a journey of this rule wants to hear about: its exit events and wait-for events. */
export function journeyListens(rule: Rule): string[] {
  const names = new Set(rule.exitOn.map((e) => e.event));
  for (const [step] of walkSteps(rule.steps)) if (step.type === 'waitForEvent') names.add(step.event);
  return [...names];
}

/** A behavior event (track, page, screen) as journeys receive it: under its behavior name. */
export function toJourneyEvent(event: EventEnvelope, behavior: BehaviorEvent): JourneyEvent {
  return { messageId: event.messageId, event: behavior.name, timestamp: event.timestamp, properties: behavior.properties };
}

/** The ids the person's events carried (userId, anonymousIds), besides the person id itself. */
function personIdsOf(state: UserState): string[] {
  const ids = [state.identifiers?.userId, ...(state.identifiers?.anonymousIds ?? [])].filter((id): id is string => Boolean(id) && id !== state.userKey);
  return [...new Set(ids)];
}

export class EventProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  /** `person`: who the identity resolver says the event belongs to (default: its userId ?? anonymousId). */
  async process(event: EventEnvelope, seq: number, person = userKeyOf(event)): Promise<EventOutcome> {
    const userKey = person;
    const loaded = await this.deps.state.load(userKey);
    const outcome: EventOutcome = { userKey, kind: 'event', duplicate: false, signalled: [], decisions: [] };
    if (loaded.state.mergedInto) {
      // Routed before the resolver knew of the merge: the survivor's partition applies it.
      await this.deps.handoff.forward(loaded.state.mergedInto, event);
      return { ...outcome, forwardedTo: loaded.state.mergedInto };
    }
    // Signals a crashed predecessor saved but may not have sent go out first (idempotent in the journey).
    let { state: before, revision } = await this.flushOutbox(loaded.state, loaded.revision, outcome);
    if (seq <= before.lastSeq) return { ...outcome, duplicate: true };

    const state = applyEvent(before, event, seq, this.deps.rules.plan);
    if (event.type === 'identify' && typeof event.traits.phone === 'string' && this.deps.phones) {
      await this.deps.phones.set(event.traits.phone, userKey);
    }
    state.journeys = { ...state.journeys };
    state.entries = { ...state.entries };
    const behavior = behaviorEventOf(event);
    if (behavior) {
      const journeyEvent = toJourneyEvent(event, behavior);
      // Journeys that listen for this event are signalled only after the state with the event is saved
      // (outbox), so conditions they evaluate on receiving it see it counted.
      state.outbox = Object.entries(state.journeys)
        .filter(([, marker]) => marker.listens.includes(journeyEvent.event))
        .map(([ruleId, marker]) => ({ ruleId, workflowId: marker.workflowId, event: journeyEvent }));
      await this.matchRules(state, event, seq, behavior, journeyEvent, outcome);
    }
    revision = await this.deps.state.save(state, revision);
    await this.flushOutbox(state, revision, outcome);
    return outcome;
  }

  /** Sends the signals saved in the state's outbox, then saves the state without them. */
  async flushOutbox(state: UserState, revision: number, outcome: EventOutcome): Promise<VersionedState> {
    if (!state.outbox?.length) return { state, revision };
    const journeys = { ...state.journeys };
    for (const { ruleId, workflowId, event } of state.outbox) {
      if (await this.deps.journeys.signal(workflowId, event)) outcome.signalled.push(workflowId);
      else if (journeys[ruleId]?.workflowId === workflowId) delete journeys[ruleId]; // the journey has ended
    }
    const cleared: UserState = { ...state, journeys, outbox: [] };
    return { state: cleared, revision: await this.deps.state.save(cleared, revision) };
  }

  private async matchRules(state: UserState, event: EventEnvelope, seq: number, behavior: BehaviorEvent, journeyEvent: JourneyEvent, outcome: EventOutcome): Promise<void> {
    const at = Date.parse(event.timestamp);
    const entry: EntryCache = {};
    // Conditions see the envelope under its behavior name and properties (a page as `page_viewed` with `path`).
    const eventFact: Record<string, unknown> = { ...event, event: behavior.name, properties: behavior.properties };
    for (const candidate of this.deps.rules.candidates(behavior.name)) {
      await this.consider(candidate, state, eventFact, journeyEvent, at, seq, outcome, entry);
    }
  }

  /**
   * Evaluates one rule's trigger for an event and starts its journey when the entry policy allows.
   * Returns whether the trigger matched. Used for live events and, after a merge, for the merged person's
   * recent trigger events (merge-people.ts).
   */
  async consider({ rule, trigger }: RuleCandidate, state: UserState, eventFact: Record<string, unknown>, journeyEvent: JourneyEvent, at: number, seq: number, outcome: EventOutcome, entry: EntryCache): Promise<boolean> {
    const tags = this.deps.rules.tags;
    const match = await trigger.evaluate({ event: eventFact, traits: state.traits, state, now: state.clock, before: at, tags });
    if (!match.passed) {
      outcome.decisions.push({ ruleId: rule.id, outcome: 'no_match', leaves: match.leaves });
      return false;
    }
    const marker = state.journeys[rule.id];
    if (marker && !(await this.deps.journeys.isRunning(marker.workflowId))) delete state.journeys[rule.id];
    const decision = decideEntry(rule, state, journeyEvent.messageId, state.clock);
    if (!decision.enter) {
      outcome.decisions.push({ ruleId: rule.id, outcome: decision.reason, detail: decision.detail, leaves: match.leaves });
      return true;
    }
    const personIds = personIdsOf(state);
    const input: JourneyInput = {
      v: 1,
      journeyId: decision.workflowId,
      userId: state.userKey,
      ...(personIds.length ? { personIds } : {}),
      rule,
      trigger: journeyEvent,
      traits: state.traits,
      // computed once per event, when the first journey starts
      ...(tags.names.length ? { entry: (entry.snapshot ??= { seq, tags: await tags.compute(state, state.clock) }) } : {}),
      waitScale: this.deps.waitScale,
      quietHours: mergeChannelSettings(this.deps.guardrails?.quietHours ?? {}, rule.quietHours),
      frequencyCaps: mergeChannelSettings(this.deps.guardrails?.frequencyCaps ?? {}, rule.frequencyCaps),
      defaultTimezone: this.deps.guardrails?.defaultTimezone ?? 'UTC',
      ...(rule.holdout > 0 ? { assignment: inHoldout(rule.id, state.userKey, rule.holdout) ? 'control' : 'treatment' } : {}),
    };
    const started = await this.deps.journeys.start(input);
    const previous = state.entries[rule.id];
    state.entries[rule.id] = { lastEnteredAt: state.clock, entries: (previous?.entries ?? 0) + 1, lastWorkflowId: decision.workflowId };
    state.journeys[rule.id] = { workflowId: decision.workflowId, ruleVersion: rule.version, startedAt: state.clock, listens: journeyListens(rule) };
    outcome.decisions.push({ ruleId: rule.id, outcome: started, workflowId: decision.workflowId, leaves: match.leaves });
    return true;
  }

  get rules(): RuleIndex {
    return this.deps.rules;
  }
}
