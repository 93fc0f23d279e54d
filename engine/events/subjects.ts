/**
 * Subject layout. Every event of one user goes to one partition subject, `nudge.events.<partition>`,
 * where partition = FNV-1a(userKey) mod partitionCount. Each partition has one durable consumer and is
 * processed strictly in order by exactly one engine process, so a user's events are applied in order
 * and several engine processes share the work by owning disjoint partition ranges.
 */
export const EVENTS_STREAM = 'NUDGE_EVENTS';
export const EVENTS_SUBJECT_PREFIX = 'nudge.events';
/**
 * Absence timers: JetStream scheduled messages in the events stream, one subject per rule and person
 * (`nudge.absence.<rule>.<hash of the person>`), each firing onto the person's partition subject.
 */
export const ABSENCE_SUBJECT_PREFIX = 'nudge.absence';
/** Events as trackers sent them, before identity resolution: the collector and `nudge publish` write here. */
export const RAW_STREAM = 'NUDGE_RAW';
export const RAW_SUBJECT = 'nudge.raw';
/** Headers on partition messages: the canonical person an event was resolved to, and control messages. */
export const PERSON_HEADER = 'Nudge-Person';
export const CONTROL_HEADER = 'Nudge-Control';
export const DEAD_LETTER_STREAM = 'NUDGE_DEAD_LETTERS';
export const DEAD_LETTER_SUBJECT_PREFIX = 'nudge.dead';

export function partitionOf(userKey: string, partitionCount: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userKey.length; i++) {
    hash ^= userKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitionCount;
}

export const partitionSubject = (partition: number) => `${EVENTS_SUBJECT_PREFIX}.${partition}`;
export const deadLetterSubject = (partition: number | 'unrouted') => `${DEAD_LETTER_SUBJECT_PREFIX}.${partition}`;
export const consumerName = (partition: number) => `engine-${partition}`;
