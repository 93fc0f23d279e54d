/**
 * Merge hand-offs over JetStream: a forwarded event and an absorbed state go to the target person's
 * partition, each with a message id that makes a repeat (a crash before the ack) a duplicate.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { CONTROL_HEADER, PERSON_HEADER, partitionOf, partitionSubject } from '../events/subjects';
import { publishControl, publishToPerson } from '../../platform/nats/partition-publish';
import type { JourneyEndedNotice } from '../decide/decide';
import { ENDED_CONTROL } from './partition-messages';
import type { Handoff } from './process-event';

/** A journey's end on its person's partition (`ended` control message), de-duplicated by the workflow id. */
export async function publishJourneyEnded(js: JetStreamClient, partitions: number, notice: JourneyEndedNotice, msgID = `ended/${notice.workflowId}`): Promise<void> {
  const h = headers();
  h.set(PERSON_HEADER, notice.person);
  h.set(CONTROL_HEADER, ENDED_CONTROL);
  await js.publish(partitionSubject(partitionOf(notice.person, partitions)), JSON.stringify(notice), { msgID, headers: h });
}

export function natsHandoff(js: JetStreamClient, partitions: number): Handoff {
  return {
    forward: (to, event) => publishToPerson(js, partitions, to, event, `${event.messageId}>${to}`),
    forwardEnded: (to, notice) => publishJourneyEnded(js, partitions, { ...notice, person: to }, `ended/${notice.workflowId}>${to}`),
    absorb: (into, control) => publishControl(js, partitions, 'absorb', into, control, `absorb/${control.from}/${into}`),
  };
}
