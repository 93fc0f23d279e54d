/**
 * The pure core of a merge's two halves (see merge-people.ts for the protocol):
 *   hand-off  on partition(from): the whole state goes to the survivor (`absorb` effect), a tombstone
 *             stays behind; the outbox's signals still go out from here.
 *   absorb    on partition(into): combine the states (an event seen through both ids counts once), end
 *             the duplicate journey of a rule both halves were in (`exitMerged`), then re-evaluate the
 *             rules on the merged state with both halves' recent trigger events.
 */
import type { MergeControl } from '../events/merge-record';
import { hasAbsorbed, mergeStates, tombstoneOf } from '../state/merge-states';
import type { UserState } from '../state/behavior-state';
import { considerRule, countersPlan, newOutcome, type AbsorbControl, type DecideContext, type Decision, type Effect, type EntryCache, type EventOutcome } from './decide';

/** `merge` on partition(from). The returned state is the tombstone; its outbox keeps signals still to send. */
export function decideHandOff(state: UserState, control: MergeControl): Decision {
  const outcome = newOutcome(control.from, 'merge');
  if (state.mergedInto) return { state: null, effects: [], outcome: { ...outcome, duplicate: true, forwardedTo: state.mergedInto } };
  const { outbox, ...handed } = state;
  const tombstone = { ...tombstoneOf(state, control.into), ...(outbox?.length ? { outbox } : {}) };
  return { state: tombstone, effects: [{ kind: 'absorb', into: control.into, control: { ...control, state: handed } }], outcome: { ...outcome, forwardedTo: control.into } };
}

/** `absorb` on partition(into), at stream sequence `seq`. */
export function decideAbsorb(ctx: DecideContext, survivor: UserState, control: AbsorbControl, seq: number): Decision {
  const outcome = newOutcome(control.into, 'merge');
  outcome.mergedFrom = control.from;
  if (survivor.mergedInto) {
    // The survivor was itself merged on since: its survivor takes this state too.
    return { state: null, effects: [{ kind: 'absorb', into: survivor.mergedInto, control: { ...control, into: survivor.mergedInto } }], outcome: { ...outcome, forwardedTo: survivor.mergedInto } };
  }
  if (hasAbsorbed(survivor, control.from) || seq <= survivor.lastSeq) return { state: null, effects: [], outcome: { ...outcome, duplicate: true } };

  const { state: merged, duplicateJourneys } = mergeStates(survivor, control.state, countersPlan(ctx));
  const state: UserState = { ...merged, userKey: control.into, lastSeq: Math.max(merged.lastSeq, seq), journeys: { ...merged.journeys }, entries: { ...merged.entries } };
  const effects: Effect[] = [];
  for (const { kept, dropped } of duplicateJourneys) {
    effects.push({ kind: 'exitMerged', workflowId: dropped.workflowId, notice: { into: control.into, keptJourneyId: kept.workflowId, at: control.at } });
    outcome.signalled.push(dropped.workflowId);
  }
  rearmMerged(state, survivor, effects);
  reevaluate(ctx, state, seq, outcome, effects);
  return { state, effects, outcome };
}

/**
 * The absorbed half's absence timers were keyed by its own id: the ones the merged state keeps from it
 * are armed again for the survivor (their old timers then find a tombstone and change nothing).
 */
function rearmMerged(state: UserState, survivor: UserState, effects: Effect[]): void {
  for (const [ruleId, armed] of Object.entries(state.absence ?? {})) {
    if (survivor.absence?.[ruleId]?.event.messageId === armed.event.messageId) continue;
    effects.push({ kind: 'armAbsence', control: { person: state.userKey, ruleId, armedBy: armed.event.messageId, due: armed.due } });
  }
}

/**
 * Rules whose trigger events either half saw recently are evaluated again on the merged state, newest
 * event first; the first that matches enters (subject to the entry policy). Only events newer than the
 * rule's last entry (by either half) are used, so an event that already started a journey of the rule,
 * under either id, is not used again: it is never newer than the entry (the person's clock then).
 */
function reevaluate(ctx: DecideContext, state: UserState, seq: number, outcome: EventOutcome, effects: Effect[]): void {
  const entry: EntryCache = {};
  for (const [name, events] of Object.entries(state.recent ?? {})) {
    for (const candidate of ctx.rules.candidates(name)) {
      if (state.journeys[candidate.rule.id]) continue;
      const lastEntry = state.entries[candidate.rule.id]?.lastEnteredAt ?? -Infinity;
      for (const event of events) {
        if (Date.parse(event.timestamp) <= lastEntry) continue;
        const fact = { type: 'track', messageId: event.messageId, timestamp: event.timestamp, event: event.event, properties: event.properties, userId: state.userKey, context: {} };
        const before = outcome.decisions.length;
        const matched = considerRule(ctx, candidate, state, fact, event, Date.parse(event.timestamp), seq, outcome, effects, entry);
        // Only the newest matching event counts; the evaluations that did not match stay out of the outcome.
        if (!matched) outcome.decisions.splice(before);
        else break;
      }
    }
  }
}
