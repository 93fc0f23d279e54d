/**
 * Scheduled audiences on a real nats-server, on a virtual clock: the owner's ticks send each person an
 * entry at their local Monday 09:00 (Berlin and New York, after Europe's DST change), only for the
 * partitions the engine owns, and after a stretch of missed ticks each person is caught up once, for
 * the newest occurrence; a schedule new to a partition sends nothing for the past.
 */
import { DeliverPolicy, jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { createLogger } from '../../platform/logger';
import { ensureStreams, openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { StateStore } from '../../platform/stores/state-store';
import { ruleOf, traitAt } from '../../test/support/unit-rules';
import { CONTROL_HEADER, EVENTS_STREAM, partitionOf } from '../events/subjects';
import { RuleIndex } from '../match/rule-index';
import { emptyState } from '../state/behavior-state';
import { runScheduledAudiences, type SchedulerContext } from './audience-scheduler';
import { RunRecords } from './run-records';

const PARTITIONS = 4;
let nats: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let ctx: Omit<SchedulerContext, 'now'>;

const monday9 = ruleOf({ id: 'monday-9', trigger: { schedule: { cron: '0 9 * * 1' }, conditions: { all: [traitAt('$.plan', 'equal', 'pro')] } }, entry: { policy: 'everyTime' } });
// ann and ben are in different partitions of 4 (0 and 2); cid matches nothing.
const people = { ann: { plan: 'pro', timezone: 'Europe/Berlin' }, ben: { plan: 'pro', timezone: 'America/New_York' }, cid: { plan: 'free', timezone: 'Europe/Berlin' } };

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  js = jetstream(nc);
  await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: 60_000 });
  const state = new StateStore(await openBucket(nc, USERS_BUCKET));
  for (const [person, traits] of Object.entries(people)) await state.save({ ...emptyState(person), lastSeq: 1, traits }, 0);
  ctx = { js, stateBucket: USERS_BUCKET, records: await RunRecords.open(nc), rules: () => new RuleIndex([{ rule: monday9, file: 'monday-9.json' }]), owned: () => [0, 1, 2, 3], partitionCount: PARTITIONS, defaultZone: 'UTC', owner: 'engine-a', log: createLogger('test', 'silent') };
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** Every audience entry on the partitions so far, as person@run. */
async function entries(): Promise<string[]> {
  const consumer = await js.consumers.get(EVENTS_STREAM, { deliver_policy: DeliverPolicy.All });
  const pending = (await consumer.info()).num_pending;
  const found: string[] = [];
  if (pending === 0) return found;
  for await (const msg of await consumer.consume()) {
    if (msg.headers?.get(CONTROL_HEADER) === 'audience') {
      const body = msg.json<{ person: string; runId: string }>();
      found.push(`${body.person}@${body.runId}`);
    }
    if (msg.info.pending === 0) break;
  }
  return found;
}

const tick = (iso: string, owned?: number[]) => runScheduledAudiences({ ...ctx, ...(owned ? { owned: () => owned } : {}), now: () => Date.parse(iso) });

describe('scheduled audiences', () => {
  it('enter each person at their local Monday 09:00, once per occurrence, catching up a missed stretch once', async () => {
    expect(await tick('2026-03-29T12:00:00Z')).toBe(0); // new schedule: starts now
    expect(await tick('2026-03-30T06:30:00Z')).toBe(0); // 08:30 in Berlin (CEST since Sunday)
    expect(await tick('2026-03-30T07:30:00Z')).toBe(1); // 09:30 in Berlin: ann
    expect(await tick('2026-03-30T12:30:00Z')).toBe(0); // 08:30 in New York
    expect(await tick('2026-03-30T13:30:00Z')).toBe(1); // 09:30 in New York (EDT): ben
    expect(await entries()).toEqual(['ann@2026-03-30T09:00', 'ben@2026-03-30T09:00']);

    // Down for two Mondays: one entry each, for the newest occurrence.
    expect(await tick('2026-04-14T20:00:00Z')).toBe(2);
    expect((await entries()).slice(2).sort()).toEqual(['ann@2026-04-13T09:00', 'ben@2026-04-13T09:00']);
    expect(await tick('2026-04-14T20:05:00Z')).toBe(0);
  });

  it('runs only the partitions the engine owns', async () => {
    const annPartition = partitionOf('ann', PARTITIONS);
    const benPartition = partitionOf('ben', PARTITIONS);
    expect(annPartition).not.toBe(benPartition);
    expect(await tick('2026-04-20T20:00:00Z', [annPartition])).toBe(1);
    expect((await entries()).slice(4)).toEqual(['ann@2026-04-20T09:00']);
    // ben's partition, when its owner runs it, is still due.
    expect(await tick('2026-04-20T20:01:00Z', [benPartition])).toBe(1);
    expect((await entries()).slice(5)).toEqual(['ben@2026-04-20T09:00']);
  });
});
