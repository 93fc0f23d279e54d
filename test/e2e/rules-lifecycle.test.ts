/**
 * The rules lifecycle on real servers, with two engines and a worker following the deployed rule set
 * (NUDGE_RULES_SOURCE=kv): a revision deployed while they run takes effect for the next event on both
 * engines without a restart; a revision they cannot load is refused by each, changes nothing and shows
 * in /healthz and a metric; a rollback is a new revision they swap to; a new version that says
 * `onNewVersion: exit` ends the running journeys of the old version with reason `rule_changed`; and
 * entry limits count per rule id across versions.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRulesDeploy, runRulesRollback } from '../../cli/rules-command';
import { startEngine, type EngineHandle } from '../../engine/engine-service';
import type { EventOutcome } from '../../engine/decide/decide';
import { createLogger } from '../../platform/logger';
import { RevisionStore } from '../../engine/rules-registry/revision-store';
import { readRuleSetSource } from '../../rules/revision/rule-set-source';
import { eventually } from '../support/poll';
import { identify, startStack, track, type Stack } from '../support/stack';

const greet = (version: number, extra: Record<string, unknown> = {}) => ({
  id: 'greet', name: 'greet', version, enabled: true,
  trigger: { event: 'visited' }, entry: { policy: 'once' }, exitOn: [{ event: 'left' }],
  steps: [
    { id: 'hello', type: 'email', subject: `hello v${version}`, text: 'hi' },
    { id: 'pause', type: 'wait', duration: '10m' },
    { id: 'later', type: 'email', subject: `later v${version}`, text: 'again' },
  ],
  ...extra,
});

function ruleDir(...rules: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-lifecycle-'));
  for (const rule of rules) writeFileSync(join(dir, `${(rule as { id: string }).id}.json`), JSON.stringify(rule, null, 2));
  return dir;
}

let stack: Stack;
let second: EngineHandle;
const secondOutcomes: EventOutcome[] = [];
let engines: EngineHandle[];
const quiet = () => undefined;
const allOutcomes = () => [...stack.outcomes, ...secondOutcomes];

/** The greet journey a user entered, on whichever engine owns their partition. */
const journeyOf = (user: string) =>
  eventually(() => allOutcomes().flatMap((o) => (o.userKey === user ? o.decisions : [])).find((d) => d.ruleId === 'greet' && d.outcome === 'started'), 15_000, `the journey of ${user}`).then((d) => (d as { workflowId: string }).workflowId);

/** Deployed and running on both engines. */
async function onBoth(revision: number) {
  await eventually(() => (engines.every((e) => e.rulesRevision() === revision) ? true : undefined), 10_000, `both engines on revision ${revision}`);
}

/** Users until both engines have decided one (the partitions are shared between them). */
async function enterOnBothEngines(prefix: string, subject: string): Promise<string[]> {
  const users: string[] = [];
  for (let i = 0; i < 12; i++) {
    const user = `${prefix}-${i}`;
    users.push(user);
    await stack.publish(identify(user, { email: `${user}@example.com` }));
    await stack.publish(track(user, 'visited', new Date()));
  }
  const decidedBy = (outcomes: EventOutcome[]) => users.filter((u) => outcomes.some((o) => o.userKey === u && o.decisions.some((d) => d.ruleId === 'greet' && d.outcome === 'started')));
  await eventually(() => (decidedBy(stack.outcomes).length + decidedBy(secondOutcomes).length === users.length ? true : undefined), 15_000, 'every user entered');
  expect(decidedBy(stack.outcomes).length).toBeGreaterThan(0);
  expect(decidedBy(secondOutcomes).length).toBeGreaterThan(0);
  for (const user of users) await stack.smtp.waitFor((m) => m.to === `${user}@example.com` && m.subject === subject, 15_000);
  return users;
}

beforeAll(async () => {
  // Before the first deploy, engines in kv mode run the local files (here: no rules at all).
  stack = await startStack({ rules: ruleDir(), env: { NUDGE_RULES_SOURCE: 'kv', NUDGE_LEASE_TTL: '2s' } });
  second = await startEngine({ config: stack.config, log: createLogger('second', 'error'), onOutcome: (o) => secondOutcomes.push(o) });
  engines = [stack.engine, second];
  await eventually(() => (stack.engine.partitions().length > 0 && second.partitions().length > 0 ? true : undefined), 15_000, 'both engines own partitions');
}, 60_000);

afterAll(async () => {
  await second?.stop();
  await stack?.stop();
});

describe('rules lifecycle with two engines following NATS KV', () => {
  it('a deployed rule takes effect for the next event on every engine, without a restart', async () => {
    expect(stack.engine.rulesRevision()).toBeNull();
    expect(await runRulesDeploy(stack.config, [ruleDir(greet(1))], {}, quiet)).toBe(0);
    await onBoth(1);
    await enterOnBothEngines('a', 'hello v1');
  }, 60_000);

  it('a new version with onNewVersion exit ends the running v1 journeys with rule_changed; entries count across versions', async () => {
    const running = ['a-0', 'a-1'];
    const ids = await Promise.all(running.map(journeyOf));
    expect(await runRulesDeploy(stack.config, [ruleDir(greet(2, { onNewVersion: 'exit' }))], {}, quiet)).toBe(0);
    await onBoth(2);
    for (const id of ids) {
      const result = await stack.temporal.workflow.getHandle(id).result();
      expect(result).toMatchObject({ reason: 'rule_changed', ruleVersion: 1 });
    }
    await enterOnBothEngines('b', 'hello v2');
    // `once` was used up under v1: a v1 user may not enter v2 (the marker is gone once the exit is announced).
    await eventually(async () => {
      const seen = allOutcomes().filter((o) => o.userKey === 'a-0').length;
      await stack.publish(track('a-0', 'visited', new Date()));
      const last = await eventually(() => (allOutcomes().filter((o) => o.userKey === 'a-0').length > seen ? allOutcomes().filter((o) => o.userKey === 'a-0').at(-1) : undefined), 5000);
      return last.decisions.find((d) => d.ruleId === 'greet')?.outcome === 'entry_policy' ? true : undefined;
    }, 15_000, 'a-0 refused by the entry policy');
  }, 60_000);

  it('a revision the engines cannot load is refused: nothing changes, /healthz and a metric say why', async () => {
    // What a newer nudge would publish: a field this build's schema does not know.
    const store = await RevisionStore.open(stack.nc);
    const source = readRuleSetSource([ruleDir(greet(3, { someFutureField: true }))], [], []);
    const refused = await store.publish(source, { contentHash: 'future', deployedBy: 'test', rules: [], tags: [] }, await store.currentPointer());
    for (const engine of engines) {
      const health = await eventually(async () => {
        const h = await engine.health.health();
        return h.reasons.some((r) => r.includes(`revision ${refused.revision} refused`)) ? h : undefined;
      }, 10_000, 'the refusal in /healthz');
      expect(health.ready).toBe(false);
      expect(health.reasons.join('\n')).toMatch(/greet\.json.*someFutureField/);
      expect(engine.rulesRevision()).toBe(2);
      expect((await engine.metrics.registry.getSingleMetric('nudge_rules_refused_revision')!.get()).values[0]!.value).toBe(refused.revision);
    }
    await stack.publish(identify('c-0', { email: 'c-0@example.com' }));
    await stack.publish(track('c-0', 'visited', new Date()));
    await stack.smtp.waitFor((m) => m.to === 'c-0@example.com' && m.subject === 'hello v2', 15_000);
  }, 60_000);

  it('a rollback is a new revision every engine swaps to', async () => {
    expect(await runRulesRollback(stack.config, 1, {}, quiet)).toBe(0);
    const revision = (await (await RevisionStore.open(stack.nc)).currentPointer())!.revision;
    await onBoth(revision);
    for (const engine of engines) expect((await engine.health.health()).reasons.filter((r) => r.includes('refused'))).toEqual([]);
    await enterOnBothEngines('d', 'hello v1');
  }, 60_000);
});
