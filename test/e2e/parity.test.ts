/**
 * Parity: every scenario under test/scenarios/ runs through the simulator (virtual clock) and through the
 * real engine + Temporal workflow, and both take the same actions, journey by journey (everything but the
 * time). The real run replays the events in real time with a day compressed to DAY_MS and the journeys'
 * days compressed the same way (NUDGE_DAY_LENGTH); timestamps are moved into the future so that windows
 * inside journeys end at the user's newest event, as they do at the simulator's virtual now.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../cli/simulate-command';
import type { EventEnvelope } from '../../engine/events/envelope';
import { readEventsFile, readProfilesFile } from '../../engine/simulate/inputs';
import { toSimulationAction, type SimulationAction } from '../../engine/simulate/simulator';
import { loadRules } from '../../rules/load-rules';
import { journeyLogQuery } from '../../workflows/journey/signals';
import { startStack } from '../support/stack';

const DAY = 86_400_000;
const DAY_MS = 1000;
const root = 'test/scenarios';
const scenarios = readdirSync(root).filter((name) => existsSync(join(root, name, 'events.jsonl')));

/** Actions grouped per journey (skips per user and rule), without times, in order. */
function byJourney(actions: SimulationAction[]): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const { at: _at, ...rest } of actions) {
    const key = rest.journeyId ?? `skips of ${rest.userId} in ${rest.ruleId}`;
    (groups[key] ??= []).push(JSON.stringify(rest));
  }
  return groups;
}

describe.concurrent("simulator and Temporal workflow take the same actions", () => {
  it.each(scenarios)('%s', async (name) => {
    const dir = join(root, name);
    const options = { rules: join(dir, 'rules'), events: join(dir, 'events.jsonl'), ...(existsSync(join(dir, 'profiles.jsonl')) ? { profiles: join(dir, 'profiles.jsonl') } : {}) };
    const simulated = await runSimulation(options);

    const rules = loadRules([options.rules]);
    const events = readEventsFile(options.events).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    const t0 = Date.parse(events[0]!.timestamp);
    const shift = Date.now() + 400 * DAY - t0;
    const moved = (ms: number) => new Date(ms + shift).toISOString();
    const stack = await startStack({ rules: options.rules, env: { NUDGE_DAY_LENGTH: `${DAY_MS}ms` } });
    try {
      for (const profile of options.profiles ? readProfilesFile(options.profiles) : []) {
        await stack.publish({ type: 'identify', userId: profile.userId, traits: profile.traits, timestamp: moved(t0 - DAY), messageId: `profile-${profile.userId}`, context: {} });
      }
      await stack.settle();
      const start = Date.now();
      for (const event of events) {
        const due = start + ((Date.parse(event.timestamp) - t0) / DAY) * DAY_MS;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        await stack.publish({ ...event, timestamp: moved(Date.parse(event.timestamp)) } as EventEnvelope);
      }
      await stack.settle();
      const lastSimulated = Math.max(...simulated.map((a) => Date.parse(a.at)), t0);
      const end = start + ((lastSimulated - t0) / DAY) * DAY_MS + 1500;
      if (end > Date.now()) await new Promise((r) => setTimeout(r, end - Date.now()));

      const actual: SimulationAction[] = [];
      for (const outcome of stack.outcomes) {
        for (const decision of outcome.decisions) {
          const rule = rules.find((r) => r.rule.id === decision.ruleId)!.rule;
          const journey = { userId: outcome.userKey, ruleId: rule.id, ruleVersion: rule.version };
          if (decision.outcome === 'entry_policy' || decision.outcome === 'already_in_journey') {
            actual.push({ at: '', ...journey, journeyId: null, step: null, action: 'skip', reason: decision.outcome });
          } else if (decision.outcome === 'started') {
            actual.push({ at: '', ...journey, journeyId: decision.workflowId, step: null, action: 'enter' });
            const log = await stack.temporal.workflow.getHandle(decision.workflowId).query(journeyLogQuery);
            for (const action of log) actual.push(toSimulationAction({ ...journey, journeyId: decision.workflowId }, action as never));
          }
        }
      }
      expect(byJourney(actual)).toEqual(byJourney(simulated));
    } finally {
      await stack.stop();
    }
  }, 180_000);
});
