/**
 * The journey event log and conversions on the real stack (engine, Temporal worker, NATS): a rule with a
 * 50% holdout and a goal. Control users get no email; every user's journey waits for the goal after its
 * step, and the goal event is recorded as a conversion for treatment and control alike. The stream holds
 * each action of each journey exactly once, the simulator derives the same records from the same
 * journeys, and the converted journeys are found in Temporal by the NudgeConverted search attribute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../engine/simulate/simulator';
import { loadRules } from '../../rules/load-rules';
import { readJourneyEvents } from '../../platform/nats/journey-event-stream';
import { inHoldout } from '../../workflows/journey/assignment';
import type { JourneyEventRecord } from '../../workflows/journey/journey-event-record';
import { eventually } from '../support/poll';
import { identify, startStack, track, type Stack } from '../support/stack';

const RULE = 'welcome-goal';
const users = Array.from({ length: 12 }, (_, i) => `goal-${i}`);
const groupOf = (user: string) => (inHoldout(RULE, user, 50) ? 'control' : 'treatment');

async function logOf(stack: Stack, from: number): Promise<JourneyEventRecord[]> {
  const records: JourneyEventRecord[] = [];
  for await (const record of readJourneyEvents(stack.js, { from, to: Date.now() + 60_000, ruleId: RULE })) records.push(record);
  return records;
}

describe('journey event log and conversions on Temporal', () => {
  let stack: Stack;
  const from = Date.now() - 60_000;

  beforeAll(async () => {
    stack = await startStack({ rules: 'test/fixtures/journey-event-log' });
    for (const user of users) await stack.publish(identify(user, { email: `${user}@example.com` }, new Date(Date.now() - 60_000)));
    await stack.settle();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('control users get nothing, both groups convert, the log holds each action once, and the simulator writes the same records', async () => {
    expect(new Set(users.map(groupOf)).size, 'both groups among the users').toBe(2);
    for (const user of users) await stack.publish(track(user, 'signed_up', new Date()));
    await stack.settle();
    // Every journey has done its step and waits for the goal (its last record so far is the goal window's wait).
    await eventually(async () => {
      const waiting = (await logOf(stack, from)).filter((r) => r.kind === 'wait_started' && r.reason === 'goal_window');
      return waiting.length === users.length ? true : undefined;
    }, 60_000, 'every journey to wait for its goal');
    for (const user of users) await stack.publish(track(user, 'order_completed', new Date(), { total: 42 }));
    for (const user of users) expect((await stack.journeyResultOf(user, RULE)).reason, user).toBe('completed');

    const log = await logOf(stack, from);
    expect(new Set(log.map((r) => r.id)).size, 'no record twice').toBe(log.length);
    for (const user of users) {
      const mine = log.filter((r) => r.personId === user).sort((a, b) => a.seq - b.seq);
      const group = groupOf(user);
      expect(mine.map((r) => r.kind), user).toEqual(['enter', group === 'control' ? 'step_skipped' : 'step_sent', 'wait_started', 'converted', 'exit']);
      expect(mine.every((r) => r.group === group), user).toBe(true);
      const converted = mine[3]!;
      if (converted.kind !== 'converted') throw new Error('unreachable');
      expect(converted.lastMessage === null, user).toBe(group === 'control');
      expect(converted.timeToConvertMs, user).toBeGreaterThan(0);
      expect(mine[4]).toMatchObject({ kind: 'exit', reason: 'completed', converted: true });
      const received = stack.smtp.messages().filter((m) => m.to === `${user}@example.com`);
      expect(received, user).toHaveLength(group === 'control' ? 0 : 1);
    }
    const conversions = log.filter((r) => r.kind === 'converted');
    expect(conversions.filter((r) => r.group === 'control')).toHaveLength(users.filter((u) => groupOf(u) === 'control').length);

    // The simulator: the same journeys (same ids, kinds, steps, groups, reasons) from the same events.
    const simulated: JourneyEventRecord[] = [];
    const start = Date.now();
    await simulate({
      rules: loadRules(['test/fixtures/journey-event-log/welcome-goal.json']),
      events: users.flatMap((user) => [track(user, 'signed_up', new Date(start)), track(user, 'order_completed', new Date(start + 60_000))]),
      profiles: users.map((userId) => ({ userId, traits: { email: `${userId}@example.com` } })),
      env: {},
    }, { onJourneyEvent: (record) => simulated.push(record) });
    const shape = (r: JourneyEventRecord) => `${r.personId} ${r.seq} ${r.kind} ${r.stepId ?? '-'} ${r.group} ${'reason' in r ? r.reason : ''}`;
    expect(simulated.map(shape).sort()).toEqual(log.map(shape).sort());
  }, 120_000);

  it('converted journeys are found by the NudgeConverted and NudgeExitReason search attributes', async () => {
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of stack.temporal.workflow.list({ query: `RuleId = '${RULE}' AND NudgeConverted = true AND NudgeExitReason = 'completed'` })) ids.push(execution.workflowId);
      return ids.length === users.length ? ids : undefined;
    }, 30_000, 'the converted journeys in Temporal visibility');
    expect(found).toHaveLength(users.length);
  });
});
