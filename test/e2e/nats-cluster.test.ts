/**
 * A NATS node dies under load (issue 14). On a 3-node cluster with NUDGE_REPLICAS=3, a publisher sends
 * 3,000 product_added events over 100 people at a steady rate; 30% of the way in, the node that holds
 * the engine's and the publisher's connections and leads the raw and events streams is killed with
 * SIGKILL, and it is started again (same name, ports and data) at 65%. The publisher retries its own failures with the same messageId, so an
 * event JetStream confirmed is in the stream exactly once.
 *
 * Then: every person's count is exactly what was published for them, the 20th-event journey started
 * once per person and sent one email, and the events published after the kill were applied. The
 * report it prints (delays, stalls) holds the measurements in dev/RUNNING-AT-SCALE-nats.md.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_STREAM, EVENTS_STREAM, RAW_STREAM } from '../../engine/events/subjects';
import { ensureStreams, openBucket, ReplicaMismatchError, SENDS_BUCKET, USERS_BUCKET } from '../../platform/nats/setup';
import type { UserState } from '../../engine/state/behavior-state';
import { UserIdAttribute } from '../../platform/temporal/journey-starter';
import { startClusterStack, type AppliedEvent, type ClusterStack, type PublishReceipt } from '../support/cluster-stack';
import { eventually } from '../support/poll';
import { track } from '../support/stack';

const PEOPLE = 100;
const PER_PERSON = 30;
const RATE_PER_SECOND = 100; // 3,000 events in 30 s: below what one engine applies at R3, so delays show the failover, not a backlog
const KILL_AT = 0.3;
const RESTART_AT = 0.65;
const RULE = 'twentieth-product';

let stack: ClusterStack;
beforeAll(async () => {
  stack = await startClusterStack({ rules: 'test/fixtures/nats-cluster', tags: 'test/fixtures/nats-cluster/tags', replicas: 3 });
});
afterAll(async () => {
  await stack?.stop();
});

/** The tag products_added (max 1000) makes the state keep one timestamp per product_added. */
const countOf = (state: UserState) => state.counters['product_added']?.length ?? 0;

const quantiles = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
};

/**
 * What the failover cost. A person's k-th applied event is their k-th confirmed one (one publish in
 * flight per person, partitions consumed in order), so delays are first publish attempt -> applied,
 * by when the event was first sent: before the kill, while the node was down, after it was back.
 */
function failoverReport(applied: AppliedEvent[], receipts: Map<string, PublishReceipt[]>, killedAt: number, restartedAt: number) {
  const delays = { before: [] as number[], outage: [] as number[], after: [] as number[] };
  const seen = new Map<string, number>();
  let appliedAfterKill = 0;
  for (const a of applied) {
    const k = seen.get(a.userKey) ?? 0;
    seen.set(a.userKey, k + 1);
    const receipt = receipts.get(a.userKey)?.[k];
    if (!receipt) continue;
    if (receipt.startedAt > killedAt) appliedAfterKill++;
    const phase = receipt.startedAt < killedAt ? 'before' : receipt.startedAt < restartedAt ? 'outage' : 'after';
    delays[phase].push(a.at - receipt.startedAt);
  }
  const gaps = (times: number[]) => Math.max(0, ...times.slice(1).map((at, j) => at - times[j]!));
  const afterKill = applied.map((a) => a.at).filter((at) => at > killedAt);
  const confirmed = [...receipts.values()].flat().map((r) => r.confirmedAt).sort((a, b) => a - b);
  // Events applied per second, from 2 s before the kill.
  const perSecond: number[] = [];
  for (const at of applied.map((a) => a.at)) if (at >= killedAt - 2000) perSecond[Math.floor((at - killedAt + 2000) / 1000)] = (perSecond[Math.floor((at - killedAt + 2000) / 1000)] ?? 0) + 1;
  return {
    delayMs: { before: quantiles(delays.before), outage: quantiles(delays.outage), after: quantiles(delays.after) },
    nodeDownMs: restartedAt - killedAt,
    publishStallMs: gaps(confirmed),
    firstAppliedAfterKillMs: (afterKill[0] ?? NaN) - killedAt,
    longestApplyGapAfterKillMs: gaps(afterKill),
    appliedWhileNodeDown: applied.filter((a) => a.at > killedAt && a.at < restartedAt).length,
    appliedAfterKill,
    appliedPerSecondFromKillMinus2s: Array.from(perSecond, (n) => n ?? 0),
    appliedOutcomes: applied.length,
  };
}

describe('a NATS node is killed mid-stream on a 3-node cluster with NUDGE_REPLICAS=3', () => {
  it('loses no event, counts none twice, starts each journey once and keeps consuming', async () => {
    const started = Date.now();
    // Every stream and bucket (and so every consumer) has 3 copies, or one node's death could stall a partition.
    const streams: { name: string; replicas: number }[] = [];
    for await (const info of stack.jsm.streams.list()) streams.push({ name: info.config.name, replicas: info.config.num_replicas });
    // The coupon pool connector creates its own bucket at R1 (not through openBucket): see dev/RUNNING-AT-SCALE-nats.md.
    expect(streams.filter((s) => s.name !== 'KV_nudge_coupons' && s.replicas !== 3)).toEqual([]);
    expect(streams.map((s) => s.name)).toEqual(expect.arrayContaining([EVENTS_STREAM, RAW_STREAM, DEAD_LETTER_STREAM, `KV_${USERS_BUCKET}`, `KV_${SENDS_BUCKET}`]));
    // Durable consumers inherit the stream's replicas; ephemeral (ordered) ones are R1 by design and are
    // recreated by the client after a failover, so only durables are checked.
    const unreplicated: string[] = [];
    for (const stream of [EVENTS_STREAM, RAW_STREAM]) {
      for await (const ci of stack.jsm.consumers.list(stream)) if (ci.config.durable_name && (ci.cluster?.replicas?.length ?? 0) + 1 !== 3) unreplicated.push(`${stream}/${ci.name}`);
    }
    expect(unreplicated).toEqual([]);

    const run = Math.random().toString(36).slice(2, 8);
    const people = Array.from({ length: PEOPLE }, (_, i) => `c${run}-${i}`);
    const total = PEOPLE * PER_PERSON;
    const base = Date.now() - 3_600_000;
    const receipts = new Map<string, PublishReceipt[]>(people.map((p) => [p, []]));
    let lost = 0;
    // One event in flight per person: a person's events reach the stream (and are applied) in publish order.
    const chains = new Map<string, Promise<void>>(people.map((p) => [p, Promise.resolve()]));
    const publishDeadline = Date.now() + 60_000;

    let victim = -1;
    let killedAt = 0;
    let restartedAt = 0;
    let restart: Promise<void> = Promise.resolve();
    // The worst single failure: the node holding the engine's and the publisher's connections also leads
    // the streams every event passes through.
    for (const stream of [RAW_STREAM, EVENTS_STREAM]) if (!(await stack.leadOn(stream, stack.engineNode))) console.log(`${stream} stayed where it was`);
    const t0 = Date.now();
    for (let i = 0; i < total; i++) {
      if (i === Math.floor(total * KILL_AT)) {
        victim = stack.engineNode;
        const led = [];
        const name = stack.cluster.nodes[victim]?.name;
        for await (const info of stack.jsm.streams.list()) if (info.cluster?.leader === name) led.push(info.config.name);
        console.log(`killing ${name} (the engine's and the publisher's node; leader of ${led.join(', ') || 'nothing'}) at event ${i}`);
        await stack.cluster.kill9(victim);
        killedAt = Date.now();
      }
      if (i === Math.floor(total * RESTART_AT)) restart = stack.cluster.restart(victim, 45_000).then(() => { restartedAt = Date.now(); });
      const person = people[i % PEOPLE]!;
      const k = Math.floor(i / PEOPLE);
      const event = { ...track(person, 'product_added', new Date(base + i), { sku: `sku-${k}` }), messageId: `${person}-${k}` };
      chains.set(person, chains.get(person)!.then(async () => {
        const receipt = await stack.publish(event, publishDeadline);
        if (receipt) receipts.get(person)!.push(receipt);
        else lost++;
      }));
      await sleep(Math.max(0, t0 + ((i + 1) * 1000) / RATE_PER_SECOND - Date.now()));
    }
    await Promise.all(chains.values());
    await restart;
    const published = [...receipts.values()].reduce((n, r) => n + r.length, 0);
    const retried = [...receipts.values()].flat().filter((r) => r.attempts > 1).length;
    console.log(`published ${published}/${total} in ${Date.now() - t0} ms (${retried} after retries, ${lost} given up); node back after ${restartedAt - killedAt} ms`);
    expect(victim).toBeGreaterThanOrEqual(0);
    expect(published).toBeGreaterThan(total * 0.95);

    // Every confirmed event is counted exactly once for its person. The report is printed either way.
    const report = () => console.log(JSON.stringify({ ...failoverReport(stack.applied, receipts, killedAt, restartedAt), testMs: Date.now() - started }));
    try {
      await eventually(async () => {
        for (const person of people) if (countOf((await stack.states.load(person)).state) !== receipts.get(person)!.length) return undefined;
        return true;
      }, 90_000, 'every person\'s count to equal what was published for them');
    } finally {
      report();
    }
    for (const person of people) expect({ person, count: countOf((await stack.states.load(person)).state) }).toEqual({ person, count: receipts.get(person)!.length });
    expect(stack.deadLetters).toEqual([]);
    // The engine kept going: the events published after the kill were applied, once each.
    const publishedAfterKill = [...receipts.values()].flat().filter((r) => r.startedAt > killedAt).length;
    expect(publishedAfterKill).toBeGreaterThan(total / 2);
    // Counted from the engine's reports: the exact counts above already prove once each; a replayed
    // batch (saved, checkpoint cut off by the kill) reports its events as replays, not as applied.
    // A batch is reported after its checkpoint is written, which is after its states: the last ones may
    // still be on their way when the counts already match.
    const appliedAfterKill = await eventually(() => {
      const n = failoverReport(stack.applied, receipts, killedAt, restartedAt).appliedAfterKill;
      return n >= publishedAfterKill - stack.replayed.count ? n : undefined;
    }, 20_000, 'the engine\'s reports of the events published after the kill').catch(() => failoverReport(stack.applied, receipts, killedAt, restartedAt).appliedAfterKill);
    expect(appliedAfterKill).toBeLessThanOrEqual(publishedAfterKill);
    expect(appliedAfterKill).toBeGreaterThanOrEqual(publishedAfterKill - stack.replayed.count);

    // The journey of the 20th event started exactly once per person (Temporal visibility lags: poll).
    const expectedJourneys = people.filter((p) => receipts.get(p)!.length >= 20);
    const journeys = await eventually(async () => {
      const byUser = new Map<string, string[]>();
      for await (const wf of stack.temporal.workflow.list({ query: `TaskQueue = "${stack.config.NUDGE_TASK_QUEUE}" AND RuleId = "${RULE}"` })) {
        const user = wf.typedSearchAttributes.get(UserIdAttribute) ?? '';
        byUser.set(user, [...(byUser.get(user) ?? []), wf.workflowId]);
      }
      return [...byUser.values()].flat().length >= expectedJourneys.length ? byUser : undefined;
    }, 30_000, `${expectedJourneys.length} ${RULE} journeys`);
    expect([...journeys.keys()].sort()).toEqual([...expectedJourneys].sort());
    expect([...journeys.entries()].filter(([, ids]) => ids.length !== 1)).toEqual([]);
    // …and each sent its one email (the send ledger is a bucket on the cluster too).
    await eventually(() => (stack.smtp.messages().length >= expectedJourneys.length ? true : undefined), 60_000, 'one email per journey').catch(() => undefined);
    await sleep(1000); // a second email of the same journey would arrive about now
    const recipients = stack.smtp.messages().map((m) => m.to).sort();
    expect(recipients).toEqual(expectedJourneys.map((p) => `${p}@cluster.test`).sort());
  }, 200_000);

  it('refuses a replica setting that differs from the existing streams and buckets', async () => {
    await expect(ensureStreams(stack.nc, { partitions: 4, duplicateWindowMs: stack.config.NUDGE_DUPLICATE_WINDOW, replicas: 1 }))
      .rejects.toThrow(new ReplicaMismatchError(EVENTS_STREAM, 3, 1));
    await expect(openBucket(stack.nc, USERS_BUCKET, { replicas: 1 })).rejects.toThrow(/KV bucket nudge_users \(stream KV_nudge_users\) has 3 replicas but NUDGE_REPLICAS is 1/);
  });
});
