/**
 * The report's live source: the journey event log on JetStream (`nudge_journey_events`, read with
 * readJourneyEvents: each id once, bad records reported) and the behavior events on the partition
 * stream (after identity resolution, so a person's events carry the same id as their journeys:
 * the Nudge-Person header). Both are read from the start up to their last message at build time, with
 * ordered consumers that leave the engine's consumers untouched.
 */
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsConnectOptions, type NatsConnectSettings } from '../../platform/nats/connect-options';
import { readJourneyEvents } from '../../platform/nats/journey-event-stream';
import { CONTROL_HEADER, EVENTS_STREAM, PERSON_HEADER } from '../events/subjects';
import type { ReportSource } from './report-command';
import { reportBehaviorOf } from './report-sources';
import type { ReportBehaviorEvent } from './report-store';

export function streamSource(config: NatsConnectSettings): ReportSource {
  return {
    describe: `journey event log and behavior events on NATS ${config.NATS_URL}`,
    async load(store, onProblem) {
      const nc = await connect(natsConnectOptions(config, 'nudge-report'));
      try {
        const js = jetstream(nc);
        await store.addJourneyEvents(readJourneyEvents(js, { from: 0, to: Number.MAX_SAFE_INTEGER }, (p) => onProblem(`nudge_journey_events seq ${p.seq}: ${p.reason}`)));
        await store.addBehaviorEvents(partitionBehavior(js, await jetstreamManager(nc), onProblem));
      } finally {
        await nc.close();
      }
    },
  };
}

async function* partitionBehavior(js: JetStreamClient, jsm: JetStreamManager, onProblem: (problem: string) => void): AsyncGenerator<ReportBehaviorEvent> {
  const info = await jsm.streams.info(EVENTS_STREAM).catch(() => null);
  if (!info || info.state.messages === 0) return;
  const lastSeq = info.state.last_seq;
  const consumer = await js.consumers.get(EVENTS_STREAM, { deliver_policy: DeliverPolicy.All });
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
    let received = 0;
    for await (const msg of batch) {
      received++;
      // Control messages (merges) are no behavior.
      if (!msg.headers?.get(CONTROL_HEADER)) {
        try {
          const result = reportBehaviorOf(msg.json(), msg.headers?.get(PERSON_HEADER) || undefined);
          if (!result.ok) onProblem(`${EVENTS_STREAM} seq ${msg.seq}: ${result.reason}`);
          else if (result.event) yield result.event;
        } catch (error) {
          onProblem(`${EVENTS_STREAM} seq ${msg.seq}: not valid JSON: ${(error as Error).message}`);
        }
      }
      if (msg.seq >= lastSeq) return;
    }
    if (received === 0) return;
  }
}
