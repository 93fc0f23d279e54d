/**
 * Messages on a person's partition (`nudge.events.<FNV(person) mod N>`, the person in `Nudge-Person`):
 * the resolver's routed events and merge hand-offs, and the engine's forwards and `absorb`s. Every one
 * carries a Nats-Msg-Id, so publishing it again (a replayed batch, a redelivered control message) is
 * dropped by the stream. The message is sent before the first await and the promise settles with the
 * stream's PubAck: a caller that publishes many in a row need not await each (one connection stores
 * them in the order they were published) and can await them together.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { EventEnvelope } from '../../engine/events/envelope';
import { CONTROL_HEADER, PERSON_HEADER, partitionOf, partitionSubject } from '../../engine/events/subjects';

/** An event on its person's partition; `msgID` defaults to the event's messageId (a forward adds the target). */
export async function publishToPerson(js: JetStreamClient, partitions: number, person: string, event: EventEnvelope, msgID = event.messageId): Promise<void> {
  const h = headers();
  h.set(PERSON_HEADER, person);
  await js.publish(partitionSubject(partitionOf(person, partitions)), JSON.stringify(event), { msgID, headers: h });
}

/** A control message (merge, absorb) on `person`'s partition, de-duplicated by `msgID`. */
export async function publishControl(js: JetStreamClient, partitions: number, kind: 'merge' | 'absorb', person: string, body: unknown, msgID: string): Promise<void> {
  const h = headers();
  h.set(PERSON_HEADER, person);
  h.set(CONTROL_HEADER, kind);
  await js.publish(partitionSubject(partitionOf(person, partitions)), JSON.stringify(body), { msgID, headers: h });
}
