/**
 * Holdout and split, the two deterministic assignments. In the simulator over 2,000 users: a 10%
 * holdout puts a binomially plausible number of users in the control group, control users are entered
 * and sent nothing, the same users land there on every run; a 50/50 split sends each user down one
 * variant, logged as `branch` with the variant's name. On Temporal with ~30 users and a 50% holdout:
 * control users get no email, treatment users exactly one, and the assignment is in the workflow's memo
 * and result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../engine/events/envelope';
import { simulate, type SimulationAction } from '../../engine/simulate/simulator';
import { loadRules } from '../../rules/load-rules';
import { inHoldout, pickVariant } from '../../workflows/journey/assignment';
import type { JourneyResult } from '../../workflows/journey/journey-input';
import { eventually } from '../support/poll';
import { identify, startStack, track, type Stack } from '../support/stack';

const USERS = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
const t0 = Date.parse('2025-05-01T12:00:00.000Z');
const SENDS = ['coupon', 'email', 'sms', 'webhook'];

/** |observed - n·p| within `sigmas` standard deviations of a binomial(n, p). */
function expectBinomial(observed: number, n: number, p: number, what: string, sigmas = 4) {
  const mean = n * p;
  const bound = sigmas * Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - mean), `${what}: ${observed}, expected ${mean} ± ${bound.toFixed(1)} (${sigmas} σ)`).toBeLessThanOrEqual(bound);
}

const phone = (i: number) => `+1415555${String(i).padStart(4, '0')}`;
const profiles = USERS.map((userId, i) => ({ userId, traits: { email: `${userId}@example.com`, phone: phone(i) } }));
const signups: EventEnvelope[] = USERS.map((user, i) => track(user, 'signed_up', new Date(t0 + i * 1000)));

function byUser(actions: SimulationAction[]): Map<string, SimulationAction[]> {
  const users = new Map<string, SimulationAction[]>();
  for (const action of actions) users.set(action.userId, [...(users.get(action.userId) ?? []), action]);
  return users;
}

const controlGroup = (actions: SimulationAction[]) =>
  new Set(actions.filter((a) => a.action === 'skip' && a.reason === 'holdout').map((a) => a.userId));

describe('holdout in the simulator (2,000 users, 10%)', () => {
  const rules = loadRules(['test/fixtures/guardrails-holdout/welcome-holdout.json']);
  let actions: SimulationAction[];
  let control: Set<string>;

  beforeAll(async () => {
    actions = await simulate({ rules, events: signups, profiles, env: {} });
    control = controlGroup(actions);
  });

  it('the control group is inside the binomial bounds of 10% of 2,000', () => {
    expectBinomial(control.size, USERS.length, 0.1, 'control users');
  });

  it('every user is entered; control users get enter, skip (holdout) for every action step, exit — never a message', () => {
    const users = byUser(actions);
    expect(users.size).toBe(USERS.length);
    for (const user of control) {
      const log = users.get(user)!;
      expect(log.map((a) => a.action === 'skip' ? `skip:${a.reason}` : a.action), user).toEqual(['enter', 'skip:holdout', 'skip:holdout', 'skip:holdout', 'skip:holdout', 'exit']);
      expect(log.filter((a) => a.action === 'skip').map((a) => a.step)).toEqual(['welcome-coupon', 'welcome-email', 'welcome-sms', 'crm']);
      expect(log.at(-1)).toMatchObject({ action: 'exit', reason: 'completed' });
    }
    expect(actions.filter((a) => control.has(a.userId) && SENDS.includes(a.action))).toEqual([]);
    // the simulator output names each user's group on their enter action
    for (const enter of actions.filter((a) => a.action === 'enter')) expect(enter.assignment).toBe(control.has(enter.userId) ? 'control' : 'treatment');
  });

  it('treatment users get every message exactly once', () => {
    for (const [user, log] of byUser(actions)) {
      if (control.has(user)) continue;
      expect(log.map((a) => a.action), user).toEqual(['enter', 'coupon', 'email', 'sms', 'webhook', 'exit']);
    }
  });

  it('assignment is deterministic: a second run holds out the same users, the ones the shared assignment function names', async () => {
    // Another day, users signing up in the opposite order: the same users are held out.
    const reversed = USERS.map((user, i) => track(user, 'signed_up', new Date(t0 + 86_400_000 + (USERS.length - i) * 1000)));
    const again = controlGroup(await simulate({ rules, events: reversed, profiles, env: {} }));
    expect([...again].sort()).toEqual([...control].sort());
    expect([...control].sort()).toEqual(USERS.filter((user) => inHoldout('welcome-holdout', user, 10)).sort());
  });

  it('each rule draws its own control group: two rules\' 10% groups overlap about as independent draws would', () => {
    const other = new Set(USERS.filter((user) => inHoldout('another-rule', user, 10)));
    expectBinomial(other.size, USERS.length, 0.1, 'control users of another rule');
    const both = [...control].filter((user) => other.has(user)).length;
    expectBinomial(both, USERS.length, 0.01, 'users held out of both rules');
  });
});

describe('split in the simulator (2,000 users)', () => {
  it('50/50: each user goes down one variant, logged as branch with the variant name, within binomial bounds', async () => {
    const rules = loadRules(['test/fixtures/guardrails-holdout/subject-test.json']);
    const actions = await simulate({ rules, events: signups, profiles, env: {} });
    const counts = { short: 0, long: 0 };
    for (const [user, log] of byUser(actions)) {
      const variant = ['short', 'long'][pickVariant('subject-test', user, 'subject-split', [50, 50])] as 'short' | 'long';
      expect(log.map((a) => a.action), user).toEqual(['enter', 'branch', 'email', 'exit']);
      expect(log[1]).toMatchObject({ step: 'subject-split', action: 'branch', branch: variant });
      expect(log[2]).toMatchObject({ step: `${variant}-email`, subject: variant === 'short' ? 'Hi' : 'Welcome aboard, we are glad you are here' });
      counts[variant]++;
    }
    expect(counts.short + counts.long).toBe(USERS.length);
    expectBinomial(counts.short, USERS.length, 0.5, 'users in variant "short"');

    const again = await simulate({ rules, events: signups, profiles, env: {} });
    expect(again.filter((a) => a.action === 'branch')).toEqual(actions.filter((a) => a.action === 'branch'));
  });

  it('two 1:1 splits in one rule assign independently (about half the users get the same variant in both)', async () => {
    const rules = loadRules(['test/fixtures/guardrails-holdout/two-coin-flips.json']);
    const actions = await simulate({ rules, events: signups, profiles, env: {} });
    const flips = new Map<string, string[]>();
    for (const a of actions) if (a.action === 'branch') flips.set(a.userId, [...(flips.get(a.userId) ?? []), a.branch!]);
    expect(flips.size).toBe(USERS.length);
    const heads = [...flips.values()].filter(([first]) => first === 'heads').length;
    expectBinomial(heads, USERS.length, 0.5, 'heads in the first split');
    const same = [...flips.values()].filter(([first, second]) => first === second).length;
    expectBinomial(same, USERS.length, 0.5, 'users with the same variant in both splits');
  });
});

describe('holdout and split on Temporal', () => {
  const users = Array.from({ length: 30 }, (_, i) => `h-${i}`);
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ rules: 'test/fixtures/guardrails-holdout-e2e' });
    for (const user of users) await stack.publish(identify(user, { email: `${user}@example.com` }, new Date(Date.now() - 60_000)));
    await stack.settle();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const workflowIdOf = (user: string, ruleId: string) =>
    eventually(() => {
      for (const outcome of stack.outcomes) {
        if (outcome.userKey !== user) continue;
        for (const d of outcome.decisions) if (d.ruleId === ruleId && d.outcome === 'started') return d.workflowId;
      }
      return undefined;
    }, 15_000, `the ${ruleId} journey of ${user}`);

  it('50% holdout: control users get no email, treatment users one; memo and result carry the assignment', async () => {
    for (const user of users) await stack.publish(track(user, 'signed_up', new Date()));
    const expected = new Map(users.map((user) => [user, inHoldout('welcome-email', user, 50) ? 'control' : 'treatment'] as const));
    expect(new Set(expected.values()).size, 'both groups are represented among the 30 users').toBe(2);

    const results = new Map<string, JourneyResult>();
    for (const user of users) {
      const handle = stack.temporal.workflow.getHandle(await workflowIdOf(user, 'welcome-email'));
      const result: JourneyResult = await handle.result();
      results.set(user, result);
      const group = expected.get(user)!;
      expect(result.assignment, user).toBe(group);
      const { memo } = await handle.describe();
      expect(memo?.assignment, user).toBe(group === 'control' ? 'control (50% holdout: sent nothing)' : 'treatment');
      if (group === 'control') {
        expect(result.log.map(({ at: _at, ...a }) => a), user).toEqual([
          { step: 'welcome-email', action: 'skip', reason: 'holdout' },
          { step: null, action: 'exit', reason: 'completed' },
        ]);
      } else {
        expect(result.log.map((a) => a.action), user).toEqual(['email', 'exit']);
        await stack.smtp.waitFor((m) => m.to === `${user}@example.com`, 5000);
      }
    }
    for (const user of users) {
      const received = stack.smtp.messages().filter((m) => m.to === `${user}@example.com` && m.subject === `Welcome ${user}`);
      expect(received, user).toHaveLength(expected.get(user) === 'control' ? 0 : 1);
    }
  });

  it('a rule without holdout has no assignment in memo or result', async () => {
    await stack.publish(identify('solo', { email: 'solo@example.com' }, new Date(Date.now() - 60_000)));
    await stack.publish(track('solo', 'trial_started', new Date()));
    const handle = stack.temporal.workflow.getHandle(await workflowIdOf('solo', 'trial-subject-test'));
    const result: JourneyResult = await handle.result();
    expect(result.log.map((a) => a.action)).toEqual(['branch', 'email', 'exit']);
    expect(result).not.toHaveProperty('assignment');
    expect((await handle.describe()).memo).not.toHaveProperty('assignment');
  });

  it('50/50 split: the variant is logged as branch with its name and decides the email', async () => {
    for (const user of users) await stack.publish(track(user, 'trial_started', new Date()));
    for (const user of users) {
      const variant = ['short', 'long'][pickVariant('trial-subject-test', user, 'subject-split', [50, 50])]!;
      const result: JourneyResult = await stack.temporal.workflow.getHandle(await workflowIdOf(user, 'trial-subject-test')).result();
      expect(result.log.map(({ at: _at, ...a }) => a.action === 'email' ? { step: a.step, action: a.action } : a), user).toEqual([
        { step: 'subject-split', action: 'branch', branch: variant },
        { step: `${variant}-email`, action: 'email' },
        { step: null, action: 'exit', reason: 'completed' },
      ]);
      const subject = variant === 'short' ? `Trial: hi ${user}` : `Trial: welcome aboard ${user}`;
      await stack.smtp.waitFor((m) => m.to === `${user}@example.com` && m.subject === subject, 5000);
      expect(stack.smtp.messages().filter((m) => m.to === `${user}@example.com` && m.subject.startsWith('Trial:'))).toHaveLength(1);
    }
  }, 120_000); // one journey per user on the shared Temporal server: slow when the suite loads the machine
});
