/**
 * Dead letters: events that cannot be processed (not JSON, invalid envelope, misrouted, or failing
 * repeatedly) are stored on the dead-letter stream with the reason and where they came from, then
 * acknowledged, so one bad event never blocks the partition behind it.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { deadLetterSubject } from '../../engine/events/subjects';

export interface DeadLetter {
  /** 'unrouted': the event failed before it had a partition (the identity resolver's raw stream). */
  partition: number | 'unrouted';
  data: Uint8Array;
  reason: string;
  sourceSubject: string;
  sourceSeq: number;
}

export async function publishDeadLetter(js: JetStreamClient, letter: DeadLetter): Promise<void> {
  const h = headers();
  h.set('Nudge-Reason', letter.reason.slice(0, 4000).replace(/[\r\n]+/g, ' '));
  h.set('Nudge-Source-Subject', letter.sourceSubject);
  h.set('Nudge-Source-Seq', String(letter.sourceSeq));
  // The source subject and sequence make the dead letter itself idempotent when the engine dies before acking.
  await js.publish(deadLetterSubject(letter.partition), letter.data, { headers: h, msgID: `dead-${letter.sourceSubject}-${letter.sourceSeq}` });
}
