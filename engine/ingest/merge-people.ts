/**
 * The engine's half of a merge (the resolver decides it: identity/resolver-consumer.ts). Two control
 * messages, each handled in its person's partition, so a person's state is only ever touched by the
 * loop that owns its partition:
 *   merge   on the merged-away person's partition, after every event routed to them: flush their
 *           outbox, hand their whole state to the survivor (`absorb`), then leave a tombstone that
 *           forwards events still routed to them.
 *   absorb  on the survivor's partition: combine the states (an event seen through both ids counts
 *           once), tell the duplicate journey of any rule both halves were in to exit with `merged`,
 *           then re-evaluate the rules on the merged state with the recent trigger events of both.
 * Both are idempotent: the hand-off is de-duplicated by its message id and the survivor records whom it
 * absorbed; a tombstone is written only after the hand-off is published.
 */
import type { UserState } from '../state/behavior-state';
import { mergeStates, tombstoneOf, hasAbsorbed } from '../state/merge-states';
import type { MergeControl } from '../identity/resolver-consumer';
import type { AbsorbControl, EntryCache, EventOutcome, EventProcessor, ProcessorDeps } from './process-event';

export class PersonMerger {
  constructor(private readonly processor: EventProcessor, private readonly deps: Pick<ProcessorDeps, 'state' | 'journeys' | 'handoff'>) {}

  /** `merge` on partition(from). */
  async handOff(control: MergeControl): Promise<EventOutcome> {
    const outcome: EventOutcome = { userKey: control.from, kind: 'merge', duplicate: false, signalled: [], decisions: [] };
    const loaded = await this.deps.state.load(control.from);
    if (loaded.state.mergedInto) return { ...outcome, duplicate: true, forwardedTo: loaded.state.mergedInto };
    const { state, revision } = await this.processor.flushOutbox(loaded.state, loaded.revision, outcome);
    await this.deps.handoff.absorb(control.into, { ...control, state });
    await this.deps.state.save(tombstoneOf(state, control.into), revision);
    return { ...outcome, forwardedTo: control.into };
  }

  /** `absorb` on partition(into), at stream sequence `seq`. */
  async absorb(control: AbsorbControl, seq: number): Promise<EventOutcome> {
    const outcome: EventOutcome = { userKey: control.into, kind: 'merge', mergedFrom: control.from, duplicate: false, signalled: [], decisions: [] };
    const loaded = await this.deps.state.load(control.into);
    if (loaded.state.mergedInto) {
      // The survivor was itself merged on since: its survivor takes this state too.
      await this.deps.handoff.absorb(loaded.state.mergedInto, { ...control, into: loaded.state.mergedInto });
      return { ...outcome, forwardedTo: loaded.state.mergedInto };
    }
    if (hasAbsorbed(loaded.state, control.from) || seq <= loaded.state.lastSeq) return { ...outcome, duplicate: true };

    const { state: merged, duplicateJourneys } = mergeStates(loaded.state, control.state, this.processor.rules.plan);
    const state = { ...merged, userKey: control.into, lastSeq: Math.max(merged.lastSeq, seq), journeys: { ...merged.journeys }, entries: { ...merged.entries } };
    for (const { kept, dropped } of duplicateJourneys) {
      await this.deps.journeys.exitMerged(dropped.workflowId, { into: control.into, keptJourneyId: kept.workflowId, at: control.at });
      outcome.signalled.push(dropped.workflowId);
    }
    await this.reevaluate(state, seq, outcome);
    const revision = await this.deps.state.save(state, loaded.revision);
    await this.processor.flushOutbox(state, revision, outcome);
    return outcome;
  }

  /**
   * Rules whose trigger events either half saw recently are evaluated again on the merged state, newest
   * event first; the first that matches enters (subject to the entry policy). Only events newer than
   * the rule's last entry (by either half) are used, so an event that already started a journey of the
   * rule, under either id, is not used again: it is never newer than the entry (the person's clock
   * then), while the entry names only the last journey, not every trigger.
   */
  private async reevaluate(state: UserState, seq: number, outcome: EventOutcome): Promise<void> {
    const entry: EntryCache = {};
    for (const [name, events] of Object.entries(state.recent ?? {})) {
      for (const candidate of this.processor.rules.candidates(name)) {
        if (state.journeys[candidate.rule.id]) continue;
        const lastEntry = state.entries[candidate.rule.id]?.lastEnteredAt ?? -Infinity;
        for (const event of events) {
          if (Date.parse(event.timestamp) <= lastEntry) continue;
          const fact = { type: 'track', messageId: event.messageId, timestamp: event.timestamp, event: event.event, properties: event.properties, userId: state.userKey, context: {} };
          const before = outcome.decisions.length;
          const matched = await this.processor.consider(candidate, state, fact, event, Date.parse(event.timestamp), seq, outcome, entry);
          // Only the newest matching event counts; the evaluations that did not match stay out of the outcome.
          if (!matched) outcome.decisions.splice(before);
          else break;
        }
      }
    }
  }
}
