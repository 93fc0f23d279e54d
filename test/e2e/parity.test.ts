/**
 * Parity: every scenario under test/scenarios/ runs through the simulator (virtual clock) and through the
 * real engine + Temporal workflow, and both take the same actions, journey by journey (everything but the
 * time). Journeys' days last DAY_MS on Temporal (NUDGE_DAY_LENGTH) and events are replayed on the same
 * scale (idle stretches with no journey running are skipped); before each event, a barrier waits until
 * Temporal has taken every action the simulator took before that event's time. Scenarios keep ≥ 6 h of
 * event time between an event and a wait boundary, which is DAY_MS / 4 of slack for latency. Timestamps are moved into the future so that
 * windows inside journeys end at the user's newest event, as they do at the simulator's virtual now.
 * Profiles are published as the identify events the simulator applies them as (profileIdentify); events
 * are published as the file has them, repeated messageIds too, and the raw stream must drop the same
 * repeats the simulator drops. People named after a device carry the same member id on both sides.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from '../../cli/simulate-command';
import { startWebhookCapture, type WebhookCapture } from '../../dev/capture/webhook-capture';
import { userKeyOf, type EventEnvelope } from '../../engine/events/envelope';
import { openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { profileIdentify, readEventsFile, readProfilesFile } from '../../engine/simulate/inputs';
import { withMemberIds } from '../../engine/simulate/member-ids';
import { toSimulationAction, type SimulationAction } from '../../engine/simulate/simulator';
import { StateStore } from '../../platform/stores/state-store';
import { loadRules } from '../../rules/load-rules';
import { journeyLogQuery } from '../../workflows/journey/signals';
import { eventually } from '../support/poll';
import { startStack } from '../support/stack';

const DAY = 86_400_000;
const DAY_MS = 2000;
const root = 'test/scenarios';
const scenarios = readdirSync(root).filter((name) => existsSync(join(root, name, 'events.jsonl')));

// The scenarios' CRM webhooks post to 127.0.0.1:4281 (the simulator never calls them; Temporal does).
let crm: WebhookCapture;
beforeAll(async () => {
  crm = await startWebhookCapture({ port: 4281 });
});
afterAll(async () => {
  await crm?.stop();
});

/** Actions grouped per journey (entry refusals per user and rule), without times, in order. */
function byJourney(actions: SimulationAction[]): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const { at: _at, ...rest } of actions) {
    const key = rest.journeyId ?? `refusals of ${rest.userId} in ${rest.ruleId}`;
    (groups[key] ??= []).push(JSON.stringify(rest));
  }
  return groups;
}

/** The scenario's ids, grouped by the events that link them (union-find): group key → every id in it. */
function linkedIds(events: EventEnvelope[]): Map<string, Set<string>> {
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    if (!parent.has(id)) parent.set(id, id);
    const p = parent.get(id)!;
    return p === id ? id : find(p);
  };
  for (const event of events) {
    const ids = [event.userId, event.anonymousId, event.type === 'alias' ? event.previousId : undefined].filter((id): id is string => Boolean(id));
    for (const id of ids.slice(1)) parent.set(find(id), find(ids[0]!));
    find(ids[0]!);
  }
  const groups = new Map<string, Set<string>>();
  for (const id of parent.keys()) {
    const root = find(id);
    if (!groups.has(root)) groups.set(root, new Set());
    groups.get(root)!.add(id);
  }
  return groups;
}

describe.concurrent("simulator and Temporal workflow take the same actions", () => {
  it.each(scenarios)('%s', async (name) => {
    const dir = join(root, name);
    const options = { rules: join(dir, 'rules'), events: join(dir, 'events.jsonl'), ...(existsSync(join(dir, 'profiles.jsonl')) ? { profiles: join(dir, 'profiles.jsonl') } : {}) };
    const simulatedDuplicates: string[] = [];
    const simulated = await runSimulation(options, { onDuplicate: (event) => simulatedDuplicates.push(event.messageId) });

    const rules = loadRules([options.rules]);
    const events = readEventsFile(options.events).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    const t0 = Date.parse(events[0]!.timestamp);
    const shift = Date.now() + 400 * DAY - t0;
    const moved = (ms: number) => new Date(ms + shift).toISOString();
    const stack = await startStack({ rules: options.rules, env: { NUDGE_DAY_LENGTH: `${DAY_MS}ms` } });
    try {
      // At the first event's time, as the simulator applies them; published and settled before any event.
      for (const [i, profile] of (options.profiles ? readProfilesFile(options.profiles) : []).entries()) {
        await stack.publish(profileIdentify(profile, i, moved(t0)));
      }
      await stack.settle();
      const journeyActions = new Map<string, SimulationAction[]>();
      for (const action of simulated) if (action.journeyId && action.action !== 'enter') journeyActions.set(action.journeyId, [...(journeyActions.get(action.journeyId) ?? []), action]);
      /** Resolves once each of the user's journeys has logged on Temporal the actions the simulator logged before `time`. */
      const caughtUp = (user: string, time: number) =>
        eventually(async () => {
          for (const [journeyId, expected] of journeyActions) {
            if (!groups.get(user)!.has(expected[0]!.userId)) continue;
            const due = expected.filter((a) => Date.parse(a.at) < time).length;
            if (due === 0) continue;
            const log = await stack.temporal.workflow.getHandle(journeyId).query(journeyLogQuery).catch(() => []);
            if (log.length < due) throw new Error(`${journeyId} has logged ${log.length} of ${due} actions; the next one the simulator took: ${JSON.stringify(expected[log.length])}; Temporal's last: ${JSON.stringify(log.at(-1) ?? null)}`);
          }
          return true;
        }, 60_000, `Temporal to catch up with the simulation of ${user} ${Number.isFinite(time) ? `at ${new Date(time).toISOString()}` : 'to the end'}`);

      // People are independent, so each replays on a clock of their own: DAY_MS per simulated day while
      // one of their journeys runs (idle stretches skipped), and never ahead of what Temporal has done.
      // A late Temporal delays that person's later events by as much, which keeps their order. A person
      // is every id their events link (userId, anonymousId, alias previousId), so a person on two devices
      // replays in one order, as the identity resolver sees it.
      const groups = linkedIds(events);
      const groupOf = (event: EventEnvelope) => [...groups].find(([, ids]) => ids.has(userKeyOf(event)))![0];
      const users = [...groups.keys()];
      const droppedByStream: string[] = [];
      await Promise.all(users.map(async (user) => {
        const active = [...journeyActions.values()].filter((a) => groups.get(user)!.has(a[0]!.userId)).map((a) => [Date.parse(a[0]!.at), Date.parse(a.at(-1)!.at)] as const);
        const activeMs = (from: number, to: number) => active.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
        let previous = { virtual: t0, real: Date.now() };
        for (const event of events.filter((e) => groupOf(e) === user)) {
          const at = Date.parse(event.timestamp);
          const due = previous.real + (activeMs(previous.virtual, at) / DAY) * DAY_MS;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          await caughtUp(user, at);
          if ((await stack.publish({ ...event, timestamp: moved(at) } as EventEnvelope)) === 'duplicate') droppedByStream.push(event.messageId);
          await stack.settle();
          previous = { virtual: at, real: Date.now() };
        }
      }));
      await stack.settle();
      await Promise.all(users.map((user) => caughtUp(user, Number.POSITIVE_INFINITY)));

      const actual: SimulationAction[] = [];
      for (const outcome of stack.outcomes) {
        for (const decision of outcome.decisions) {
          const rule = rules.find((r) => r.rule.id === decision.ruleId)!.rule;
          const journey = { userId: outcome.userKey, ruleId: rule.id, ruleVersion: rule.version };
          if (decision.outcome === 'entry_policy' || decision.outcome === 'already_in_journey') {
            actual.push({ at: '', ...journey, journeyId: null, step: null, action: 'refused', reason: decision.outcome });
          } else if (decision.outcome === 'started') {
            actual.push({ at: '', ...journey, journeyId: decision.workflowId, step: null, action: 'enter' });
            const log = await stack.temporal.workflow.getHandle(decision.workflowId).query(journeyLogQuery);
            for (const action of log) actual.push(toSimulationAction({ ...journey, journeyId: decision.workflowId }, action as never));
          }
        }
      }
      const states = new StateStore(await openBucket(stack.nc, USERS_BUCKET));
      expect(byJourney(await withMemberIds(actual, (user) => states.load(user)))).toEqual(byJourney(simulated));
      expect(droppedByStream.sort()).toEqual(simulatedDuplicates.sort());
    } finally {
      await stack.stop();
    }
  }, 180_000);
});
