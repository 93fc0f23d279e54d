/**
 * What a merge of two people records: on the survivor's graph record, and as the body of the `merge`
 * control message the merged-away person's partition receives. Defined here, in the event contract,
 * because the resolver (which makes merges), the partition publisher and the pure decision core (which
 * acts on them) all read it.
 */
import type { Identifier } from './identifier-types';

export interface MergeRecord {
  /** Server time of the merge (ISO-8601). */
  at: string;
  /** The person merged away (its id now resolves to `into`). */
  from: string;
  into: string;
  /** The identifier the two people shared. */
  via: Identifier;
  /** The event that carried the link. */
  messageId: string;
}

/** The `merge` control message's body is the merge record itself. */
export type MergeControl = MergeRecord;
