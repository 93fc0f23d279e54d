/**
 * Merge hand-offs over JetStream: a forwarded event and an absorbed state go to the target person's
 * partition, each with a message id that makes a repeat (a crash before the ack) a duplicate.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { publishControl, publishToPerson } from '../identity/resolver-consumer';
import type { Handoff } from './process-event';

export function natsHandoff(js: JetStreamClient, partitions: number): Handoff {
  return {
    forward: (to, event) => publishToPerson(js, partitions, to, event, `${event.messageId}>${to}`),
    absorb: (into, control) => publishControl(js, partitions, 'absorb', into, control, `absorb/${control.from}/${into}`),
  };
}
