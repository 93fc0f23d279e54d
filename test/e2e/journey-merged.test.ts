/**
 * The merge notice on the real Temporal workflow: a journey waiting on a timer (or for an event) ends
 * at once with reason `merged` and runs no further step; a send in flight when the notice arrives
 * finishes and is logged, then the journey exits instead of going on. Signalling a journey that has
 * finished answers false. The worker runs the shared bundle with fake connectors and in-memory stores.
 */
import { randomUUID } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../platform/config';
import { connectTemporalClient } from '../../platform/temporal/temporal-connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ConnectorSet, EmailMessage } from '../../connectors/channels';
import { emptyState } from '../../engine/state/behavior-state';
import { TemporalJourneyStarter } from '../../platform/temporal/journey-starter';
import type { Step } from '../../rules/schema/steps';
import { createLogger } from '../../platform/logger';
import { installTemporalRuntime } from '../../platform/temporal/temporal-runtime';
import { MemoryCapStore } from '../../workflows/activities/frequency-caps';
import { MemorySendLedger } from '../../workflows/activities/send-ledger';
import type { JourneyInput, JourneyResult } from '../../workflows/journey/journey-input';
import { journeyLogQuery, type MergedNotice } from '../../workflows/journey/signals';
import { startWorker, type WorkerHandle } from '../../workflows/worker';
import { MemoryJourneyEventLog } from '../../workflows/activities/journey-event-log';
import { eventually } from '../support/poll';
import { email, ruleOf, wait, waitForEvent } from '../support/unit-rules';

const taskQueue = `journey-merged-${randomUUID()}`;
const sent: EmailMessage[] = [];
/** Sends to this address block until the test releases them, so a notice can arrive mid-send. */
const SLOW = 'slow@example.com';
let sendStarted: () => void = () => undefined;
let releaseSend: () => void = () => undefined;

let worker: WorkerHandle;
let connection: Connection;
let starter: TemporalJourneyStarter;
let client: Client;

beforeAll(async () => {
  const temporalConfig = loadConfig({ TEMPORAL_ADDRESS: inject('temporalAddress') });
  installTemporalRuntime(createLogger('journey-merged-test', 'warn')); // the SDK's info logs are noise here
  const unused = async () => { throw new Error('not used in this test'); };
  const connectors = {
    email: {
      channel: 'email',
      provider: 'fake',
      async send(message: EmailMessage) {
        if (message.to === SLOW) {
          const released = new Promise<void>((resolve) => { releaseSend = resolve; });
          sendStarted();
          await released;
        }
        sent.push(message);
        return { providerMessageId: `e-${sent.length}` };
      },
    },
    sms: { channel: 'sms', provider: 'fake', send: unused },
    webhook: { channel: 'webhook', provider: 'fake', send: unused },
    coupon: { channel: 'coupon', provider: 'fake', issue: unused },
  } as unknown as ConnectorSet;
  worker = await startWorker({
    temporal: temporalConfig,
    taskQueue,
    connectors,
    announceJourneyEnded: async () => undefined, // no engine here: nothing waits for journeys to end
    journeyEvents: new MemoryJourneyEventLog(),
    activityDeps: { ledger: new MemorySendLedger(), loadUserState: async (key) => emptyState(key), caps: new MemoryCapStore(), consentMode: 'opt-out' },
    workflowBundle: { code: inject('workflowBundleCode') },
  });
  ({ connection, client } = await connectTemporalClient(temporalConfig));
  starter = new TemporalJourneyStarter(client, taskQueue);
});
afterAll(async () => {
  await worker?.stop();
  await connection?.close();
});

function journeyInput(user: string, steps: Step[], to = `${user}@example.com`): JourneyInput {
  return {
    v: 1,
    journeyId: `journey/merge-test/${user}/${randomUUID()}`,
    userId: user,
    rule: ruleOf({ id: 'merge-test', steps }),
    trigger: { messageId: `m-${user}`, event: 'page_viewed', timestamp: new Date().toISOString(), properties: {} },
    traits: { email: to },
    waitScale: 1,
  };
}

const notice = (into: string): MergedNotice => ({ into, keptJourneyId: `journey/merge-test/${into}/kept`, at: new Date().toISOString() });
const actions = (result: JourneyResult) => result.log.map((a) => (a.action === 'exit' ? `exit:${String(a.reason)}` : `${a.action}:${String(a.step)}`));
const logOf = (id: string) => client.workflow.getHandle(id).query(journeyLogQuery);
const resultOf = (id: string) => client.workflow.getHandle(id).result() as Promise<JourneyResult>;

describe('the merged signal on Temporal', () => {
  it('ends a journey waiting on a timer with reason merged; no further step runs', async () => {
    const input = journeyInput('anna', [email('first'), wait('pause', '1h'), email('second')]);
    await starter.start(input);
    await eventually(async () => ((await logOf(input.journeyId)).some((a) => a.action === 'wait') ? true : undefined), 20_000, 'the wait');

    expect(await starter.exitMerged(input.journeyId, notice('bea'))).toBe(true);
    const result = await resultOf(input.journeyId);
    expect(result.reason).toBe('merged');
    expect(actions(result)).toEqual(['email:first', 'wait:pause', 'exit:merged']);
    expect(result.log.at(-1)).toMatchObject({ action: 'exit', reason: 'merged', step: null, into: 'bea', keptJourneyId: 'journey/merge-test/bea/kept' });
    expect(sent.filter((m) => m.to === 'anna@example.com')).toHaveLength(1);

    // Finished: a second notice (a retried merge) reaches no running journey.
    expect(await starter.exitMerged(input.journeyId, notice('bea'))).toBe(false);
  });

  it('ends a journey waiting for an event', async () => {
    const input = journeyInput('carl', [waitForEvent('await', 'checkout_started', '1h', [email('thanks')], [email('nudge')])]);
    await starter.start(input);
    await eventually(async () => ((await logOf(input.journeyId)).some((a) => a.action === 'wait') ? true : undefined), 20_000, 'the wait');

    expect(await starter.exitMerged(input.journeyId, notice('dana'))).toBe(true);
    const result = await resultOf(input.journeyId);
    expect(actions(result)).toEqual(['wait:await', 'exit:merged']);
    expect(sent.filter((m) => m.to === 'carl@example.com')).toEqual([]);
  });

  it('lets a send in flight finish, then exits instead of running the next step', async () => {
    const started = new Promise<void>((resolve) => { sendStarted = resolve; });
    const input = journeyInput('erik', [email('first', 'First'), email('second', 'Second')], SLOW);
    await starter.start(input);
    await started;

    expect(await starter.exitMerged(input.journeyId, notice('fay'))).toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // the workflow has the notice while the send still runs
    expect(sent.filter((m) => m.to === SLOW)).toEqual([]);
    releaseSend();

    const result = await resultOf(input.journeyId);
    expect(actions(result)).toEqual(['email:first', 'exit:merged']);
    expect(sent.filter((m) => m.to === SLOW).map((m) => m.subject)).toEqual(['First']); // the send in flight completed; "second" never ran
  });
});
