/**
 * `nudge simulate`: rules over events on a virtual clock, with no servers. Event timestamps drive
 * time; journey waits fire at their virtual time. The identity resolver (over an in-memory graph), the
 * engine's EventProcessor and PersonMerger (state, matching, entry policy, merges) and the journey step
 * machine with the real activities do the work, so what the simulator shows is what production does.
 * Merge hand-offs that travel between partitions in production are direct calls here.
 */
import type { LoadedRule } from '../../rules/load-rules';
import type { LoadedTag } from '../../rules/load-tags';
import { parseDuration } from '../../rules/schema/parse-duration';
import { mergeChannelSettings } from '../../rules/schema/guardrails';
import type { Rule } from '../../rules/schema/rule';
import { walkSteps } from '../../rules/schema/step-tree';
import type { Step } from '../../rules/schema/steps';
import { assertNever } from '../../shared/assert-never';
import { createActivities } from '../../workflows/activities/create-activities';
import { MemoryCapStore } from '../../workflows/activities/frequency-caps';
import { MemorySendLedger } from '../../workflows/activities/send-ledger';
import { globalGuardrails, identifierTypesOf, loadConfig } from '../../platform/config';
import { IdentityResolver, UnidentifiableEventError } from '../identity/identity-resolver';
import { MemoryIdentityStore, type MergeRecord, type RefusalRecord } from '../identity/identity-store';
import { PersonMerger } from '../ingest/merge-people';
import type { JourneyInput } from '../../workflows/journey/journey-input';
import type { EventEnvelope } from '../events/envelope';
import { EventProcessor, type EventOutcome, type Handoff, type JourneyEndedNotice, type StateAccess } from '../ingest/process-event';
import { RuleIndex } from '../match/rule-index';
import type { TrainedModel } from '../../rules/schema/trained-model';
import { allowedLatenessOf } from '../state/lateness';
import { MemoryStateStore } from '../../platform/stores/memory-state-store';
import { DuplicateWindow } from '../events/duplicate-window';
import { profileIdentify } from './inputs';
import { withMemberIds } from './member-ids';
import { recordingConnectors } from './recording-connectors';
import { VirtualJourneys, type JourneyListener } from './virtual-journeys';
import { VirtualAbsenceTimers } from './virtual-absence-timers';
import { VirtualSchedules } from './virtual-schedules';
import { isAbsenceTrigger } from '../../rules/schema/trigger';
import type { JourneyEventRecord } from '../../workflows/journey/journey-event-record';

export interface SimulationAction {
  at: string;
  userId: string;
  /** The person's member id (their userId) when the person is named after another id (a device). */
  memberId?: string;
  ruleId: string;
  ruleVersion: number;
  journeyId: string | null;
  step: string | null;
  /** `refused`: the trigger matched but the entry policy or a running journey kept the user out (`reason`); `skip`: a journey's step held back. */
  action: 'enter' | 'coupon' | 'email' | 'sms' | 'webhook' | 'wait' | 'branch' | 'skip' | 'exit' | 'refused' | 'converted';
  channel?: string;
  to?: string;
  code?: string;
  subject?: string;
  body?: string;
  branch?: string;
  reason?: string;
  /** On `enter`, for rules with a holdout: control or treatment. */
  assignment?: string;
}

export interface SimulationInput {
  rules: LoadedRule[];
  /** The behavior tags rule conditions and templates may read. */
  tags?: LoadedTag[];
  /** Trained models the `score` fact reads (rules/models/*.model.json), scored as the engine scores them. */
  models?: TrainedModel[];
  events: EventEnvelope[];
  /** Starting traits, applied as identify events at the first event's time, before it (profileIdentify). */
  profiles?: { userId: string; traits: Record<string, unknown> }[];
  /**
   * Drop a repeated messageId as the raw stream does (default true). Event timestamps are the arrival
   * clock, as nothing else says when a file's events would have arrived. false: the events come from
   * the raw stream, which has dropped repeats already (by their real arrival).
   */
  dropDuplicates?: boolean;
  /**
   * `time` (default): events in timestamp order. `arrival`: as given (a file's line order, a stream's
   * order), the way the engine met them: the clock then stands at the newest timestamp so far, never
   * going back, so a late event is applied at that time, as the engine applies it to the user's clock.
   */
  order?: 'time' | 'arrival';
  /** Run the clock on to here (ms); default: the last event plus the longest journey any rule can take. */
  until?: number;
  env?: NodeJS.ProcessEnv;
}

export interface SimulationHooks {
  /** Called after each event with the engine's outcome (decisions with leaf values, for `explain`). */
  onEvent?(event: EventEnvelope, outcome: EventOutcome): void;
  /** Called after a merge's state reached the survivor, with what re-evaluating the rules decided. */
  onMerge?(merge: MergeRecord, outcome: EventOutcome): void;
  /** Called for each link the identity graph refused, with the person the event went to. */
  onRefusal?(refusal: RefusalRecord, person: string): void;
  /** Called for each event dropped as a repeat of a messageId inside NUDGE_DUPLICATE_WINDOW. */
  onDuplicate?(event: EventEnvelope): void;
  /** Called for each journey event log record, the same records the workflow writes (workflows/journey/journey-records.ts). */
  onJourneyEvent?(record: JourneyEventRecord): void;
}

export async function simulate(input: SimulationInput, hooks: SimulationHooks = {}): Promise<SimulationAction[]> {
  const index = new RuleIndex(input.rules, input.tags, input.models);
  const config = loadConfig(input.env ?? process.env); // the same global guardrails as the engine and worker
  const clock = { now: 0 };
  // The twin of the engine's KV store: compare-and-set saves, reads through upgradeState.
  const states = new MemoryStateStore();
  const state: StateAccess = { load: (user) => states.load(user), save: (next, revision) => states.save(next, revision) };
  const actions: SimulationAction[] = [];
  const activities = createActivities({
    connectors: recordingConnectors(input.env),
    ledger: new MemorySendLedger(),
    loadUserState: async (user) => (await states.loadResolved(user)).state, // the live person, as the worker reads it
    clock: () => clock.now,
    caps: new MemoryCapStore(),
    consentMode: config.NUDGE_CONSENT_MODE,
    tags: index.tags,
  });
  // Journey ends reach the person's state after the input that caused them, as the `ended` control
  // message reaches the partition after the batch in production.
  const ended: JourneyEndedNotice[] = [];
  const journeys = new VirtualJourneys(activities, clock, recordAction(actions), (journey) => ended.push({ person: journey.userId, ruleId: journey.rule.id, workflowId: journey.journeyId }), hooks.onJourneyEvent);
  const applyEnded = async () => {
    while (ended.length) await processor.journeyEnded(ended.shift()!);
  };
  let seq = 0;
  const handoff: Handoff = {
    // (the work happens first: `hook?.(await work())` would skip the work when there is no hook)
    forward: async (to, event) => {
      const outcome = await processor.process(event, ++seq, to);
      hooks.onEvent?.(event, outcome);
    },
    forwardEnded: async (to, notice) => {
      ended.push({ ...notice, person: to });
    },
    absorb: async (_into, control) => {
      const outcome = await merger.absorb(control, ++seq);
      const { state: _state, ...merge } = control;
      hooks.onMerge?.(merge, outcome);
    },
  };
  const absenceTimers = new VirtualAbsenceTimers();
  const processor = new EventProcessor({ rules: index, state, journeys, waitScale: 1, guardrails: globalGuardrails(config), handoff, absenceTimers, withLeaves: Boolean(hooks.onEvent || hooks.onMerge) });
  const merger = new PersonMerger(processor);
  const identity = new IdentityResolver(new MemoryIdentityStore(), identifierTypesOf(config));

  const times = input.events.map((event) => Date.parse(event.timestamp)); // (parsed once: sorting and the loop read them)
  const start = times.reduce((min, at) => Math.min(min, at), Infinity);
  const profiles = (input.profiles ?? []).map((profile, i) => profileIdentify(profile, i, new Date(Number.isFinite(start) ? start : 0).toISOString()));
  const given = [...profiles.map((event, i) => ({ event, i, at: Date.parse(event.timestamp) })), ...input.events.map((event, i) => ({ event, i: profiles.length + i, at: times[i]! }))];
  const ordered = input.order === 'arrival' ? given : given.sort((a, b) => a.at - b.at || a.i - b.i);
  const duplicates = input.dropDuplicates === false ? null : new DuplicateWindow(config.NUDGE_DUPLICATE_WINDOW);
  // Scheduled audiences fire on the virtual clock from the first input on, over every person held then.
  const schedules = new VirtualSchedules(index.rules.map(({ rule }) => rule), config.NUDGE_DEFAULT_TIMEZONE, Number.isFinite(start) ? start : 0);
  const runTimersUntil = async (time: number) => {
    for (;;) {
      // Journey waits and absence timers in time order (a journey's wait first on a tie: it was set earlier).
      const timer = journeys.nextTimer();
      const absence = absenceTimers.next();
      const scheduled = schedules.next();
      if (scheduled <= time && scheduled < (timer?.at ?? Infinity) && scheduled < (absence?.due ?? Infinity)) {
        clock.now = Math.max(clock.now, scheduled);
        const people = await Promise.all(states.userKeys().map(async (user) => (await states.load(user)).state));
        for (const entry of schedules.take(scheduled, people)) recordRefused(await processor.audienceEntry(entry, ++seq));
        await applyEnded();
        continue;
      }
      if (absence && absence.due <= time && absence.due < (timer?.at ?? Infinity)) {
        absenceTimers.take(absence);
        clock.now = Math.max(clock.now, absence.due);
        recordRefused(await processor.absenceTimer(absence, ++seq));
        await applyEnded();
        continue;
      }
      if (!timer || timer.at > time) return;
      clock.now = Math.max(clock.now, timer.at);
      await journeys.fireNextTimer();
      await applyEnded();
    }
  };
  const nextTimerAt = () => Math.min(journeys.nextTimer()?.at ?? Infinity, absenceTimers.next()?.due ?? Infinity, schedules.next());

  // Rules by id for the refused entries (the index's byId is a linear search; this runs per refused entry).
  const ruleById = new Map<string, Rule>();
  for (const { rule } of index.rules) if (!ruleById.has(rule.id)) ruleById.set(rule.id, rule);
  function recordRefused(outcome: EventOutcome): void {
    for (const decision of outcome.decisions) {
      if (decision.outcome !== 'entry_policy' && decision.outcome !== 'already_in_journey') continue;
      const rule = ruleById.get(decision.ruleId)!;
      actions.push({ at: isoAt(clock.now), userId: outcome.userKey, ruleId: rule.id, ruleVersion: rule.version, journeyId: null, step: null, action: 'refused', reason: decision.outcome });
    }
  }

  for (const { event, at } of ordered) {
    // (checked here, not awaited blindly: most events have no timer due, and an await per event adds up)
    if (nextTimerAt() <= at) await runTimersUntil(at);
    clock.now = Math.max(clock.now, at);
    if (duplicates && !duplicates.admit(event.messageId, clock.now)) {
      hooks.onDuplicate?.(event); // production's raw stream never stores it
      continue;
    }
    let plan;
    try {
      plan = await identity.plan(event, clock.now);
    } catch (error) {
      if (error instanceof UnidentifiableEventError) continue; // the engine dead-letters it
      throw error;
    }
    for (const merge of plan.merges) await merger.handOff(merge);
    await identity.commit(plan);
    for (const refusal of plan.refusals) hooks.onRefusal?.(refusal, plan.person);
    const outcome = await processor.process(event, ++seq, plan.person);
    hooks.onEvent?.(event, outcome);
    if (ended.length) await applyEnded();
    recordRefused(outcome);
  }
  const lastEvent = ordered.reduce((last, { at }) => Math.max(last, at), 0); // (in arrival order not the last one)
  const longest = Math.max(0, ...input.rules.map(({ rule }) => longestJourneyMs(rule) + longestHoldMs(rule, config) + allowedLatenessOf(rule, config.NUDGE_ALLOWED_LATENESS) + absenceWaitMs(rule)));
  await runTimersUntil(input.until ?? lastEvent + longest);
  return withMemberIds(actions, state.load);
}

/** How long after its last event an absence trigger can still fire (its `for`); 0 for other triggers. */
function absenceWaitMs(rule: Rule): number {
  return isAbsenceTrigger(rule.trigger) ? parseDuration(rule.trigger.absence.for) : 0;
}

/** An upper bound of how long a journey of this rule can wait in total (every wait on any path). */
export function longestJourneyMs(rule: Rule): number {
  let total = 0;
  for (const [step] of walkSteps(rule.steps)) total += longestWaitMs(step);
  return total;
}

/** How long one step can hold a journey by itself (guardrails aside: longestHoldMs). */
function longestWaitMs(step: Step): number {
  switch (step.type) {
    case 'wait':
      return parseDuration(step.duration);
    case 'waitForEvent':
      return step.timeout ? parseDuration(step.timeout) : 0; // without a timeout only an event ends it
    case 'waitUntil':
      return parseDuration('1d');
    case 'coupon': case 'email': case 'sms': case 'webhook': case 'branch': case 'split': case 'exit':
      return 0;
    default:
      return assertNever(step, 'step type');
  }
}

/** How long guardrails can hold one send back: until quiet hours end (< 1 day), or a cap frees a slot. */
function longestHoldMs(rule: Rule, config: ReturnType<typeof loadConfig>): number {
  const guardrails = globalGuardrails(config);
  const quiet = mergeChannelSettings(guardrails.quietHours, rule.quietHours);
  const caps = mergeChannelSettings(guardrails.frequencyCaps, rule.frequencyCaps);
  const sends = [...walkSteps(rule.steps)].filter(([step]) => step.type === 'email' || step.type === 'sms').length;
  const perSend = (Object.keys(quiet).length ? parseDuration('1d') : 0)
    + Math.max(0, ...Object.values(caps).map((cap) => (cap?.policy === 'defer' ? parseDuration(cap.per) : 0)));
  return sends * perSend;
}

const OPTIONAL_FIELDS = ['channel', 'to', 'code', 'subject', 'body', 'branch', 'reason'] as const;

/**
 * The ISO text of a time, remembering the last one: the actions of one journey step, and the refusals of
 * one input, share their time, and toISOString costs 1-2 µs (it was the largest part of toSimulationAction).
 */
let lastIso = { at: Number.NaN, text: '' };
function isoAt(at: number): string {
  if (at !== lastIso.at) lastIso = { at, text: new Date(at).toISOString() }; // (NaN never matches: it throws as before)
  return lastIso.text;
}

/** A journey's log entry in the simulation output format (the parity test maps Temporal logs with it too). */
export function toSimulationAction(
  journey: { userId: string; ruleId: string; ruleVersion: number; journeyId: string },
  action: { at: number; step: string | null; action: SimulationAction['action'] } & Record<string, unknown>,
): SimulationAction {
  const out: SimulationAction = {
    at: isoAt(action.at),
    userId: journey.userId,
    ruleId: journey.ruleId,
    ruleVersion: journey.ruleVersion,
    journeyId: journey.journeyId,
    step: action.step,
    action: action.action,
  };
  for (const field of OPTIONAL_FIELDS) {
    const value = action[field];
    if (typeof value === 'string') out[field] = value;
  }
  if (action.action === 'coupon' && typeof action.code === 'string') out.channel = 'coupon';
  return out;
}

function recordAction(actions: SimulationAction[]): JourneyListener {
  return (input: JourneyInput, action) => {
    const out = toSimulationAction({ userId: input.userId, ruleId: input.rule.id, ruleVersion: input.rule.version, journeyId: input.journeyId }, action as never);
    if (action.action === 'enter' && input.assignment) out.assignment = input.assignment;
    actions.push(out);
  };
}
