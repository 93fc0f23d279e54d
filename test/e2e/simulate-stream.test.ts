/**
 * `nudge simulate --stream`: a time range of the real JetStream stream, read without touching the
 * engine's consumers, replayed in stream order (as the engine met the events) unless told otherwise.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from '../../cli/simulate-command';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { publishEvent } from '../../platform/nats/publisher';
import { RAW_STREAM, RAW_SUBJECT } from '../../engine/events/subjects';
import { ensureStreams } from '../../platform/nats/setup';
import { track } from '../support/stack';

let nats: NatsServerHandle;
beforeAll(async () => {
  nats = await startNats();
  process.env.NATS_URL = nats.url;
});
afterAll(async () => {
  delete process.env.NATS_URL;
  await nats?.stop();
});

describe('simulate --stream', () => {
  it('replays the events stored in a time range through the rules, reporting invalid ones and leaving consumers alone', async () => {
    const nc = await connect({ servers: nats.url });
    await ensureStreams(nc, { partitions: 16, duplicateWindowMs: 60_000 });
    const js = jetstream(nc);
    const before = new Date(Date.now() - 1000);
    const day = 86_400_000;
    const now = Date.now();
    await publishEvent(js, { type: 'identify', userId: 'sue', traits: { email: 'sue@example.com' }, timestamp: new Date(now - 5 * day).toISOString(), messageId: 'sue-id', context: {} });
    for (const [i, offset] of [3, 2, 1].entries()) await publishEvent(js, { ...track('sue', 'page_viewed', new Date(now - offset * day), { page: 'pricing' }), messageId: `sue-${i}` });
    await js.publish(RAW_SUBJECT, 'not json');
    // tom's order from before his views reaches the stream after them (an offline batch sent late).
    for (const [i, offset] of [3, 2, 1].entries()) await publishEvent(js, { ...track('tom', 'page_viewed', new Date(now - offset * day), { page: 'pricing' }), messageId: `tom-${i}` });
    await publishEvent(js, { ...track('tom', 'order_completed', new Date(now - 4 * day)), messageId: 'tom-order' });
    const after = new Date(Date.now() + 1000);
    const warnings: string[] = [];

    const actions = await runSimulation({ rules: 'rules', stream: true, from: before.toISOString(), to: after.toISOString() }, {}, (w) => warnings.push(w));
    expect(actions.filter((a) => a.userId === 'sue').map((a) => (a.action === 'skip' ? `skip:${a.reason}` : a.action))).toEqual(['enter', 'coupon', 'email', 'wait', 'skip:no_phone', 'wait', 'exit']);
    expect(actions.find((a) => a.action === 'email')?.to).toBe('sue@example.com');
    expect(warnings).toEqual([expect.stringMatching(/stream seq 5: not valid JSON/)]);
    // In stream order, as production met them: tom entered and got the email before his order arrived.
    const tom = (list: typeof actions) => list.filter((a) => a.userId === 'tom').map((a) => (a.action === 'exit' || a.action === 'skip' ? `${a.action}:${a.reason}` : a.action));
    // The order is also the flagship's goal, but it was placed 4 days before he entered: it ends the
    // journey (exitOn) and is no conversion of it.
    expect(tom(actions)).toEqual(['enter', 'coupon', 'skip:no_address', 'wait', 'exit:exit_event']);
    // By timestamp instead (--no-arrival-order), the order comes first and he never enters.
    expect(tom(await runSimulation({ rules: 'rules', stream: true, from: before.toISOString(), to: after.toISOString(), arrivalOrder: false }, {}, () => {}))).toEqual([]);
    expect((await (await jetstreamManager(nc)).consumers.list(RAW_STREAM).next()).filter((c) => c.config.durable_name)).toEqual([]);
    await nc.close();
  });
});
