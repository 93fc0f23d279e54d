/**
 * "No visit for 7 days" on the real stack with a 5-second day (NUDGE_DAY_LENGTH, so 35 s): engine processes, nats-server with message
 * schedules, Temporal. Twelve people visit once, one of them again 10 s later (re-arming); the engine
 * that armed every timer is killed with SIGKILL right after, and two new engines share its partitions.
 * Each person enters exactly once, under the journey id of their last visit, recorded as entered exactly
 * 7 short days after it, by the engines that took over (the timers lived in the stream, not in the dead
 * engine); the simulator (real days) starts the same journeys, each 7 days after the same visit.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../rules/load-rules';
import { simulate } from '../../engine/simulate/simulator';
import { USERS_BUCKET } from '../../platform/nats/setup';
import { StateStore } from '../../platform/stores/state-store';
import { publishAll, startFleet, taskOwners, isEngineOf, type Fleet } from '../support/fleet';
import { eventually } from '../support/poll';
import { track } from '../support/stack';

const DAY_MS = 5_000;
const FOR_MS = 7 * DAY_MS;
const RULE = {
  id: 'win-back-fast', name: 'No visit for 7 days', version: 1, enabled: true,
  trigger: { absence: { event: 'page_viewed', for: '7d' } },
  entry: { policy: 'everyTime' },
  steps: [{ id: 'we-miss-you', type: 'email', subject: 'We miss you', text: 'Come back' }],
};

describe('absence triggers on the real stack', () => {
  let fleet: Fleet;
  let rulesDir: string;
  beforeAll(async () => {
    rulesDir = mkdtempSync(join(tmpdir(), 'nudge-absence-'));
    mkdirSync(join(rulesDir, 'tags'));
    writeFileSync(join(rulesDir, 'win-back-fast.json'), JSON.stringify(RULE));
    fleet = await startFleet({ NUDGE_RULES_DIR: rulesDir, NUDGE_TAGS_DIR: join(rulesDir, 'tags'), NUDGE_LEASE_TTL: '3s', NUDGE_DAY_LENGTH: `${DAY_MS}ms` });
  });
  afterAll(async () => fleet?.stop());

  it('fires 7 (short) days after the last visit, re-armed by a visit, after the arming engine died and its partitions moved; the simulator agrees', async () => {
    const run = randomUUID().slice(0, 6);
    const people = Array.from({ length: 12 }, (_, i) => `absent-${run}-${i}`);
    const t0 = Date.now();
    const first = people.map((person) => track(person, 'page_viewed', new Date(t0), { path: '/docs' }));
    const rearm = track(people[0]!, 'page_viewed', new Date(t0 + 10_000), { path: '/pricing' });
    const events = [...first, rearm];

    const armer = await fleet.startEngine();
    await publishAll(fleet.js, events);
    const store = new StateStore(await new Kvm(fleet.nc).open(USERS_BUCKET));
    await eventually(async () => {
      const states = await Promise.all(people.map((person) => store.load(person)));
      return states.every(({ state }) => state.absence?.['win-back-fast']) && states[0]!.state.absence?.['win-back-fast']?.event.messageId === rearm.messageId ? true : undefined;
    }, 60_000, 'every timer armed, the re-armed one by the second visit');
    const killedAt = Date.now();
    await armer.kill();
    const [b, c] = [await fleet.startEngine(), await fleet.startEngine()];

    const expected = new Map(people.map((person, i) => [person, i === 0 ? rearm : first[i]!]));
    const entered = await eventually(async () => {
      const states = await Promise.all(people.map(async (person) => [person, (await store.load(person)).state] as const));
      return states.every(([, state]) => state.entries['win-back-fast']) ? states : undefined;
    }, 90_000, 'every person entered');
    for (const [person, state] of entered) {
      const last = expected.get(person)!;
      // Entered at the due time itself (the decision's clock), not whenever the engine got to it.
      expect(state.entries['win-back-fast']).toEqual({ lastEnteredAt: Date.parse(last.timestamp) + FOR_MS, entries: 1, lastWorkflowId: `journey/win-back-fast/${person}/${last.messageId}` });
      expect(state.absence).toBeUndefined();
    }

    const journeys: { id: string; startedAt: number }[] = [];
    for await (const execution of fleet.temporal.workflow.list({ query: `TaskQueue = '${fleet.env.NUDGE_TASK_QUEUE}' AND RuleId = 'win-back-fast'` })) {
      journeys.push({ id: execution.workflowId, startedAt: execution.startTime.getTime() });
    }
    const ids = journeys.map((j) => j.id).sort();
    expect(ids).toEqual(people.map((person) => `journey/win-back-fast/${person}/${expected.get(person)!.messageId}`).sort());
    // Started after the arming engine was gone: by the engines that took its partitions over.
    for (const journey of journeys) expect(journey.startedAt).toBeGreaterThan(killedAt);
    const owners = await taskOwners(fleet.nc);
    expect([...owners].filter(([task]) => task !== 'resolver').every(([, owner]) => isEngineOf(owner, b.pid) || isEngineOf(owner, c.pid))).toBe(true);

    const simulated = await simulate({ rules: loadRules([join(rulesDir, 'win-back-fast.json')]), events, env: {} });
    expect(simulated.filter((a) => a.action === 'enter').map((a) => a.journeyId).sort()).toEqual(ids);
    const simulatedAt = new Map(simulated.filter((a) => a.action === 'enter').map((a) => [a.userId, a.at]));
    for (const person of people) expect(simulatedAt.get(person)).toBe(new Date(Date.parse(expected.get(person)!.timestamp) + 7 * 86_400_000).toISOString());
  }, 240_000);
});
