/**
 * Ingest on real NATS and Temporal: bad events are dead-lettered without blocking the user's partition,
 * duplicates and redeliveries neither double-count nor start a second journey.
 */
import { natsHandoff } from '../../engine/ingest/nats-handoff';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_STREAM, partitionOf, partitionSubject } from '../../engine/events/subjects';
import { EventProcessor, type StateAccess } from '../../engine/ingest/process-event';
import { RuleIndex } from '../../engine/match/rule-index';
import { openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { StateStore } from '../../platform/stores/state-store';
import { TemporalJourneyStarter } from '../../platform/temporal/journey-starter';
import { loadRules } from '../../rules/load-rules';
import { eventually } from '../support/poll';
import { identify, startStack, track, type Stack } from '../support/stack';

const DAY = 86_400_000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ rules: 'rules' });
});
afterAll(async () => {
  await stack?.stop();
});

const ago = (ms: number) => new Date(Date.now() - ms);

describe('dead letters', () => {
  it('an invalid event and a non-JSON message go to the dead-letter stream with the reason; the next valid event of the same user is processed', async () => {
    const subject = partitionSubject(partitionOf('dora', stack.config.NUDGE_PARTITIONS));
    await stack.js.publish(subject, JSON.stringify({ type: 'track', userId: 'dora', event: 'page_viewed', timestamp: 'last tuesday', messageId: 'bad-1' }));
    await stack.js.publish(subject, '{ this is not json');
    stack.expectExtra(2);
    await stack.publish(track('dora', 'page_viewed', ago(1000), { page: 'home' }));
    await stack.settle();

    expect(stack.deadLetters).toHaveLength(2);
    expect(stack.deadLetters[0]).toMatch(/invalid event: timestamp: Invalid ISO datetime/);
    expect(stack.deadLetters[1]).toMatch(/not valid JSON/);
    expect(stack.outcomes.filter((o) => o.userKey === 'dora')).toHaveLength(1);

    const jsm = await jetstreamManager(stack.nc);
    const first = await jsm.streams.getMessage(DEAD_LETTER_STREAM, { seq: 1 });
    expect(first!.header?.get('Nudge-Reason')).toMatch(/timestamp/);
    expect(first!.header?.get('Nudge-Source-Subject')).toBe(subject);
    expect(JSON.parse(first!.string()).messageId).toBe('bad-1');
    const metrics = await stack.engine.metrics.registry.getSingleMetricAsString('nudge_dead_letters_total');
    // The label is a fixed kind, not text from the reason (bounded label cardinality).
    expect(metrics).toMatch(/nudge_dead_letters_total\{kind="invalid_event"\} 1/);
    expect(metrics).toMatch(/nudge_dead_letters_total\{kind="invalid_json"\} 1/);
  });

  it('an event published to the wrong partition is dead-lettered, not processed out of order', async () => {
    const right = partitionOf('ed', stack.config.NUDGE_PARTITIONS);
    const wrong = (right + 1) % stack.config.NUDGE_PARTITIONS;
    await stack.js.publish(partitionSubject(wrong), JSON.stringify(track('ed', 'page_viewed', ago(1000))));
    stack.expectExtra(1);
    await stack.settle();
    expect(stack.deadLetters.at(-1)).toMatch(`published to partition ${wrong} but person "ed" belongs to partition ${right}`);
  });
});

describe('duplicates and redelivery', () => {
  it('a re-published messageId is dropped by JetStream and counted once', async () => {
    const view = track('fay', 'page_viewed', ago(1000), { page: 'pricing' });
    expect(await stack.publish(view)).toBe('published');
    expect(await stack.publish(view)).toBe('duplicate');
    await stack.settle();
    const state = await new StateStore(await openBucket(stack.nc, USERS_BUCKET)).load('fay');
    expect(state.state.counters['page_viewed|[["page","pricing"]]']).toHaveLength(1);
  });

  it('redelivery after a crash at any point starts exactly one journey and counts each view once', async () => {
    const rules = new RuleIndex(loadRules(['rules']));
    const store = new StateStore(await openBucket(stack.nc, USERS_BUCKET));
    let crashNextSave = false;
    const crashingStore: StateAccess = {
      load: (user) => store.load(user),
      save: async (state, revision) => {
        if (crashNextSave) {
          crashNextSave = false;
          throw new Error('simulated crash before the state was saved');
        }
        return store.save(state, revision);
      },
    };
    const processor = new EventProcessor({ rules, state: crashingStore, journeys: new TemporalJourneyStarter(stack.temporal, 'redelivery-test-queue'), waitScale: 1, handoff: natsHandoff(stack.js, stack.config.NUDGE_PARTITIONS) });
    const user = 'gus';
    const events = [identify(user, { email: 'gus@example.com' }, ago(10 * DAY)), ...[3, 2, 0.001].map((d) => track(user, 'page_viewed', ago(d * DAY), { page: 'pricing' }))];
    let seq = 1_000_000;
    for (const event of events.slice(0, 3)) await processor.process(event, ++seq);

    const third = events[3]!;
    const thirdSeq = ++seq;
    crashNextSave = true; // the journey starts, then the process dies before saving state or acking
    await expect(processor.process(third, thirdSeq)).rejects.toThrow('simulated crash');
    const redelivered = await processor.process(third, thirdSeq);
    expect(redelivered.decisions).toEqual([expect.objectContaining({ ruleId: 'pricing-hesitation', outcome: 'already_started' })]);
    const again = await processor.process(third, thirdSeq); // saved, then died before the ack
    expect(again.duplicate).toBe(true);

    const { state } = await store.load(user);
    expect(state.counters['page_viewed|[["page","pricing"]]']).toHaveLength(3);
    const journeys = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of stack.temporal.workflow.list({ query: `WorkflowId STARTS_WITH "journey/pricing-hesitation/${user}/"` })) ids.push(wf.workflowId);
      return ids.length ? ids : undefined;
    }, 10_000, 'the journey in visibility');
    expect(journeys).toEqual([`journey/pricing-hesitation/${user}/${third.messageId}`]);
    await stack.temporal.workflow.getHandle(journeys[0]!).terminate('test cleanup: no worker polls this queue');
  });
});
