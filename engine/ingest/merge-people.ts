/**
 * The engine's half of a merge (the resolver decides it: identity/resolver-loop.ts). Two control
 * messages, each handled in its person's partition, so a person's state is only ever touched by the
 * loop that owns its partition:
 *   merge   on the merged-away person's partition, after every event routed to them: hand their whole
 *           state to the survivor (`absorb`), then leave a tombstone that forwards events still routed
 *           to them; signals still in their outbox go out from here.
 *   absorb  on the survivor's partition: combine the states (an event seen through both ids counts
 *           once), tell the duplicate journey of any rule both halves were in to exit with `merged`,
 *           then re-evaluate the rules on the merged state with the recent trigger events of both.
 * Both are idempotent: the hand-off is de-duplicated by its message id and the survivor records whom it
 * absorbed; the tombstone is saved only after the hand-off is published. The decisions are pure
 * (decide-merge.ts); this driver runs them one at a time, the partition loop runs them in batches.
 */
import type { MergeControl } from '../events/merge-record';
import { decideAbsorb, decideHandOff } from '../decide/decide-merge';
import type { AbsorbControl, EventOutcome, EventProcessor } from './process-event';

export class PersonMerger {
  constructor(private readonly processor: EventProcessor) {}

  /** `merge` on partition(from). */
  handOff(control: MergeControl): Promise<EventOutcome> {
    return this.processor.run(control.from, (state) => decideHandOff(state, control));
  }

  /** `absorb` on partition(into), at stream sequence `seq`. */
  absorb(control: AbsorbControl, seq: number): Promise<EventOutcome> {
    return this.processor.run(control.into, (state) => decideAbsorb(this.processor.context, state, control, seq));
  }
}
