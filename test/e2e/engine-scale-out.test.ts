/**
 * Several `nudge engine` processes started with the same (default) configuration share the partitions
 * by leases: two engines, then a third joining mid-stream, then the one running the identity resolver
 * killed with SIGKILL. Every person's count equals what was sent, every journey starts exactly once, and
 * the dead engine's partitions and the resolver are owned by the others within 15 s. Overlapping static ownership and a different rule set are refused
 * loudly at start.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_RULES, isEngineOf, journeysOf, taskOwners, productStream, publishAll, simulatedJourneys, startFleet, waitForCounts, type Fleet } from '../support/fleet';
import { eventually } from '../support/poll';

const PARTITIONS = 8;

describe('engines share the partitions', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet();
  });
  afterAll(async () => fleet?.stop());

  it('2 engines, a 3rd joins, one is killed: nothing lost or counted twice, its partitions move within 15 s', async () => {
    const { events, people } = productStream(200, 30, 11);
    const oracle = simulatedJourneys(events);
    const [a, b] = [await fleet.startEngine(), await fleet.startEngine()];
    await publishAll(fleet.js, events.slice(0, 2000));
    const c = await fleet.startEngine();
    await publishAll(fleet.js, events.slice(2000, 4000));
    // Every engine owns some partitions once the shares settle; one of them also runs the resolver.
    const owners = await eventually(async () => {
      const now = await taskOwners(fleet.nc);
      const partitionOwners = new Set([...now].filter(([task]) => task !== 'resolver').map(([, owner]) => owner));
      return now.size === PARTITIONS + 1 && partitionOwners.size === 3 ? now : undefined;
    }, 40_000, 'three engines sharing the partitions');
    // Kill the engine that runs the identity resolver: its partitions and the resolver must move.
    const victim = [a, b, c].find((engine) => isEngineOf(owners.get('resolver'), engine.pid))!;
    expect(victim).toBeDefined();
    const victimTasks = [...owners].filter(([, owner]) => isEngineOf(owner, victim.pid)).map(([task]) => task);
    expect(victimTasks.length).toBeGreaterThan(1);

    const killedAt = Date.now();
    await victim.kill();
    const publishing = publishAll(fleet.js, events.slice(4000));
    await eventually(async () => {
      const now = await taskOwners(fleet.nc);
      return victimTasks.every((task) => now.has(task) && !isEngineOf(now.get(task), victim.pid)) ? true : undefined;
    }, 30_000, 'the dead engine\'s partitions and resolver owned by the others');
    const movedAfterMs = Date.now() - killedAt;
    console.log(`scale-out: the killed engine's ${victimTasks.length} tasks (${victimTasks.join(', ')}) moved after ${movedAfterMs} ms`);
    expect(movedAfterMs).toBeLessThan(15_000);
    await publishing;

    await waitForCounts(fleet.nc, new Map(people.map((p) => [p, 30])), 120_000);
    const expected = await oracle;
    await eventually(async () => ((await journeysOf(fleet)).length >= expected.length ? true : undefined), 30_000, 'every journey in Temporal');
    expect(await journeysOf(fleet)).toEqual(expected);
  }, 300_000);

  it('refuses an engine whose static partitions another engine holds, and one with a different rule set', async () => {
    await expect(fleet.startEngine({ NUDGE_OWNED_PARTITIONS: '0-3' })).rejects.toThrow(/partition \d is owned by engine .*exactly one owner/);
    fleet.engines.pop();
    const other = mkdtempSync(join(tmpdir(), 'nudge-rules-'));
    cpSync(FLEET_RULES, other, { recursive: true });
    const file = join(other, 'adds-25.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"version": 1', '"version": 2'));
    mkdirSync(join(other, 'tags'), { recursive: true });
    await expect(fleet.startEngine({ NUDGE_RULES_DIR: other, NUDGE_TAGS_DIR: join(other, 'tags') })).rejects.toThrow(/runs a different rule set/);
    fleet.engines.pop();
  }, 120_000);
});
