/**
 * The report's live source on a real nats-server: journey events written to nudge_journey_events (one of
 * them twice, as a retried activity would, and one invalid message) and behavior events on the partition
 * stream with the Nudge-Person header; the numbers count each action once and the invalid message is
 * reported by its stream sequence, not silently dropped.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { ensureJourneyEventStream, publishJourneyEvents } from '../../platform/nats/journey-event-stream';
import { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, PERSON_HEADER, partitionSubject } from '../events/subjects';
import { buildReport } from './report-command';
import { streamSource } from './report-stream-source';
import { funnelByHand, journeyRecords, type JourneyPlan } from './report.harness';

let server: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  server = await startNats();
  nc = await connect({ servers: server.url });
}, 30_000);
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const T0 = Date.parse('2026-05-01T10:00:00Z');
const plans: JourneyPlan[] = [
  { person: 'ada', group: 'treatment', enteredAt: T0, steps: ['sent', 'sent'], convertedAfterMs: 3_600_000 },
  { person: 'bob', group: 'treatment', enteredAt: T0 + 60_000, steps: ['sent', { skipped: 'quiet_hours' }] },
  { person: 'cy', group: 'control', enteredAt: T0 + 120_000, steps: [{ skipped: 'holdout' }, { skipped: 'holdout' }], convertedAfterMs: 7_200_000 },
];

describe('report from NATS', () => {
  it('reads the journey event log and the partition stream; each action once; a bad message reported', async () => {
    const js = jetstream(nc);
    await ensureJourneyEventStream(nc);
    const records = plans.flatMap(journeyRecords);
    await publishJourneyEvents(js, records);
    await publishJourneyEvents(js, records.slice(0, 3)); // a retried write: dropped by the stream
    await js.publish('nudge.journey_events.welcome.enter', JSON.stringify({ kind: 'enter', personId: 'broken' }));
    await (await jetstreamManager(nc)).streams.add({ name: EVENTS_STREAM, subjects: [`${EVENTS_SUBJECT_PREFIX}.>`] });
    const click = headers();
    click.set(PERSON_HEADER, 'ada');
    await js.publish(partitionSubject(3), JSON.stringify({ type: 'track', event: 'email_clicked', userId: 'ada@example.com', timestamp: new Date(T0 + 600_000).toISOString(), messageId: 'click-1', properties: { journeyId: 'welcome-ada' }, context: {} }), { headers: click });

    const problems: string[] = [];
    const built = await buildReport(streamSource({ NATS_URL: server.url }), {}, (p) => problems.push(p));
    const byHand = funnelByHand(records, [{ personId: 'ada', event: 'email_clicked', at: T0 + 600_000, journeyId: 'welcome-ada' }]);
    const welcome = built.numbers.rules[0]!;
    expect(welcome.funnel).toEqual([
      { label: 'entered', count: byHand.entered },
      { label: 'email-1 sent', count: byHand.sent['email-1'] },
      { label: 'email-2 sent', count: byHand.sent['email-2'] },
      { label: 'clicked', count: 1 },
      { label: 'converted', count: byHand.converted },
    ]);
    expect(welcome.converted).toEqual({ treatment: 1, control: 1 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^nudge_journey_events seq \d+: /);
    expect(built.html).toContain('data-stage="clicked"');
  }, 60_000);
});
