/**
 * An audience evaluation over the state bucket (engine/audience/audience-run.ts, count mode: scan,
 * decode through upgradeState, filter by partition, evaluate a tag condition) against a bare scan of
 * the same bucket in the same run (engine/audience/state-scan.ts scanStateMessages: the same ordered
 * last-per-key consumer, messages only). Its own nats-server; persons seeded straight into the bucket.
 * Prints persons/s of both and the ratio last. The seeding is not timed.
 * Usage: npm run bench:audience -- [--persons 1000000] [--partitions 16] [--in-flight 2000]
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNats } from '../dev/servers/nats';
import { runAudience } from '../engine/audience/audience-run';
import { scanStateMessages } from '../engine/audience/state-scan';
import { RuleIndex } from '../engine/match/rule-index';
import { emptyState } from '../engine/state/behavior-state';
import { RuleSchema } from '../rules/schema/rule';
import { TagSchema } from '../rules/schema/tags';
import { openBucket, USERS_BUCKET } from '../platform/nats/setup';
import { stateKey } from '../platform/stores/state-store';
import { arg, machineLoad } from './bench-support';

const PERSONS = arg('persons', 1_000_000);
const PARTITIONS = arg('partitions', 16);
const IN_FLIGHT = arg('in-flight', 2_000);
const DAY = 86_400_000;

// The weekly example's shape: a stage tag over 30-day counters, compared in the trigger's conditions.
const rule = RuleSchema.parse({
  id: 'bench-audience', name: 'bench', version: 1, enabled: true,
  trigger: { oneOff: {}, conditions: { all: [{ fact: 'tags', path: '$.stage', operator: 'equal', value: 'viewed_pricing' }, { fact: 'traits', path: '$.plan', operator: 'notEqual', value: 'enterprise' }] } },
  entry: { policy: 'once' },
  steps: [{ id: 'hi', type: 'webhook', url: 'http://127.0.0.1:9/hook' }],
});
const stage = TagSchema.parse({
  name: 'stage', kind: 'stages', stages: [
    { name: 'visited', conditions: { all: [{ fact: 'count', params: { event: 'page_viewed', within: '30d' }, operator: 'greaterThanInclusive', value: 1 }] } },
    { name: 'viewed_pricing', conditions: { all: [{ fact: 'count', params: { event: 'pricing_viewed', within: '30d' }, operator: 'greaterThanInclusive', value: 1 }] } },
  ],
});

async function main(): Promise<void> {
  const server = await startNats();
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  try {
    const kv = await openBucket(nc, USERS_BUCKET);
    const js = jetstream(nc);
    const now = Date.now();
    console.log(`audience scan: ${PERSONS.toLocaleString()} persons, ${PARTITIONS} partitions; ${machineLoad()}`);
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < PERSONS) {
        const i = next++;
        const visits = Array.from({ length: 1 + (i % 5) }, (_, k) => now - (k + 1) * DAY);
        const state = { ...emptyState(`person-${i}`), lastSeq: i + 1, clock: visits[0]!, traits: { plan: i % 7 === 0 ? 'enterprise' : 'pro', timezone: 'Europe/Berlin' }, counters: { page_viewed: visits, ...(i % 3 === 0 ? { pricing_viewed: [visits[0]!] } : {}) }, counterIds: { page_viewed: visits.map(() => ''), ...(i % 3 === 0 ? { pricing_viewed: [''] } : {}) } };
        await kv.put(stateKey(state.userKey), JSON.stringify(state));
      }
    }));

    let bareStart = performance.now();
    const bare = await scanStateMessages(js, USERS_BUCKET, () => undefined);
    const bareSeconds = (performance.now() - bareStart) / 1000;

    const index = new RuleIndex([{ rule, file: 'bench.json' }], [{ tag: stage, file: 'stage.json' }]);
    bareStart = performance.now();
    const tallies = await runAudience(js, USERS_BUCKET, { compiled: index.byId(rule.id)!, tags: index.tags, partitions: new Set(Array.from({ length: PARTITIONS }, (_, p) => p)), partitionCount: PARTITIONS, runFor: () => ({ runId: 'bench', at: now }) });
    const seconds = (performance.now() - bareStart) / 1000;
    const scanned = [...tallies.values()].reduce((sum, t) => sum + t.scanned, 0);
    const matched = [...tallies.values()].reduce((sum, t) => sum + t.matched, 0);
    if (bare !== PERSONS || scanned !== PERSONS) throw new Error(`read ${bare} (bare) and ${scanned} (audience) of ${PERSONS} persons`);
    console.log(`bare scan      ${(bare / bareSeconds).toFixed(0).padStart(8)} persons/s (${bareSeconds.toFixed(1)} s)`);
    console.log(`audience       ${(scanned / seconds).toFixed(0).padStart(8)} persons/s (${seconds.toFixed(1)} s; ${matched.toLocaleString()} matched)`);
    console.log(`ratio          audience rate / bare scan rate ${((scanned / seconds) / (bare / bareSeconds)).toFixed(2)}`);
  } finally {
    await nc.close();
    await server.stop();
  }
}

await main();
