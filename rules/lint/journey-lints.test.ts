/** Lints on a journey's shape: each fires on a minimal rule that has the problem and not once it is fixed. */
import { describe, expect, it } from 'vitest';
import { branch, email, exit, ruleOf, sms, traitAt, wait, waitForEvent } from '../../test/support/unit-rules';
import { formatJsonPath } from '../rule-errors';
import type { Step } from '../schema/steps';
import { journeyLints } from './journey-lints';
import type { LintCode } from './lint';

const lintsOf = (code: LintCode, overrides: Parameters<typeof ruleOf>[0]) =>
  journeyLints(ruleOf({ exitOn: [{ event: 'order_completed' }], ...overrides }))
    .filter((lint) => lint.code === code)
    .map((lint) => ({ path: formatJsonPath(lint.path), message: lint.message }));

const isTeam = { all: [traitAt('$.plan', 'equal', 'team')] };
const waitWithoutTimeout = (id: string, onEvent: Step[], onTimeout: Step[] = []): Step => ({ id, type: 'waitForEvent', event: 'checkout_started', onEvent, onTimeout });

describe('no-exit-event', () => {
  it('fires when nothing ends the journey early and a message goes out after a wait', () => {
    expect(lintsOf('no-exit-event', { exitOn: [], steps: [email('a'), wait('w', '2d'), sms('b')] })).toEqual([
      { path: '$.exitOn', message: expect.stringMatching(/no exit event.*still gets "b" after "w".*add exitOn/) },
    ]);
  });
  it('fires on a message after a waitForEvent, whichever way the wait ended', () => {
    const steps = [waitForEvent('w', 'checkout_started', '1d', [], [email('reminder')]), email('after')];
    expect(lintsOf('no-exit-event', { exitOn: [], steps })).toEqual([{ path: '$.exitOn', message: expect.stringMatching(/still gets "after" after "w"/) }]);
  });
  it('fires on a message after a wait inside a branch or after a waitForEvent\'s onTimeout', () => {
    expect(lintsOf('no-exit-event', { exitOn: [], steps: [branch('b', isTeam, [wait('w', '1d'), email('late')], [])] })).toHaveLength(1);
    expect(lintsOf('no-exit-event', { exitOn: [], steps: [waitForEvent('w', 'checkout_started', '1d', [], [email('r1'), wait('w2', '2d'), email('r2')])] })).toEqual([
      { path: '$.exitOn', message: expect.stringMatching(/still gets "r2" after "w2"/) },
    ]);
  });
  it('is quiet with an exit event', () => {
    expect(lintsOf('no-exit-event', { steps: [email('a'), wait('w', '2d'), sms('b')] })).toEqual([]);
  });
  it('is quiet when the journey\'s waitForEvent is its natural end: what follows the wait is the reaction to the event or to its absence', () => {
    const steps = [email('welcome'), waitForEvent('w', 'order_completed', '3d', [email('thanks')], [email('reminder')])];
    expect(lintsOf('no-exit-event', { exitOn: [], steps })).toEqual([]);
  });
  it('is quiet when every message goes out at once (nothing later to stop)', () => {
    expect(lintsOf('no-exit-event', { exitOn: [], steps: [email('a'), sms('b')] })).toEqual([]);
    expect(lintsOf('no-exit-event', { exitOn: [], steps: [email('a'), wait('w', '1d')] })).toEqual([]);
  });
});

describe('unbounded-reentry', () => {
  it('fires on entry policy everyTime', () => {
    expect(lintsOf('unbounded-reentry', { entry: { policy: 'everyTime' } })).toEqual([{ path: '$.entry.policy', message: expect.stringMatching(/no limit.*oncePerWindow/) }]);
  });
  it.each([{ policy: 'once' as const }, { policy: 'oncePerWindow' as const, window: '30d' }])('is quiet with %j', (entry) => {
    expect(lintsOf('unbounded-reentry', { entry })).toEqual([]);
  });
});

describe('sms-without-quiet-hours', () => {
  it('fires on every SMS step without quiet hours in the rule, nested ones too', () => {
    expect(lintsOf('sms-without-quiet-hours', { steps: [sms('first'), branch('b', isTeam, [sms('second')], [])] })).toEqual([
      { path: '$.steps[0]', message: expect.stringMatching(/"first" has no quiet hours in this rule: unless NUDGE_QUIET_HOURS sets them, it can arrive at night/) },
      { path: '$.steps[1].then[0]', message: expect.stringMatching(/"second" has no quiet hours in this rule/) },
    ]);
  });
  it('is quiet without SMS steps', () => {
    expect(lintsOf('sms-without-quiet-hours', { steps: [email('a'), wait('w', '1d'), email('b')] })).toEqual([]);
  });
});

describe('wait-for-event-without-timeout', () => {
  it('fires on a waitForEvent without a timeout', () => {
    expect(lintsOf('wait-for-event-without-timeout', { steps: [waitWithoutTimeout('w', [email('a')])] })).toEqual([
      { path: '$.steps[0]', message: expect.stringMatching(/waits for "checkout_started" without a timeout/) },
    ]);
  });
  it('is quiet with a timeout', () => {
    expect(lintsOf('wait-for-event-without-timeout', { steps: [waitForEvent('w', 'checkout_started', '1h', [email('a')], [])] })).toEqual([]);
  });
});

describe('unreachable-step', () => {
  it('fires on the steps after an exit step, and on everything nested in them', () => {
    const steps = [email('a'), exit('stop'), email('b'), branch('c', isTeam, [sms('d')], [])];
    expect(lintsOf('unreachable-step', { steps })).toEqual([
      { path: '$.steps[2]', message: 'step "b" never runs: it comes after the exit step "stop"' },
      { path: '$.steps[3]', message: 'step "c" never runs: it comes after the exit step "stop"' },
      { path: '$.steps[3].then[0]', message: 'step "d" never runs: it is inside "c", which never runs' },
    ]);
  });

  it('fires inside a nested list after its exit step, but not on the steps after the branching step', () => {
    const steps = [branch('b', isTeam, [exit('stop'), email('never')], []), email('after')];
    expect(lintsOf('unreachable-step', { steps })).toEqual([{ path: '$.steps[0].then[1]', message: 'step "never" never runs: it comes after the exit step "stop"' }]);
  });

  it('fires after a branching step all of whose paths exit', () => {
    const steps = [branch('b', isTeam, [exit('x')], [exit('y')]), email('after')];
    expect(lintsOf('unreachable-step', { steps })).toEqual([{ path: '$.steps[1]', message: 'step "after" never runs: every path through "b" ends the journey' }]);
  });

  it('fires on the onTimeout steps of a waitForEvent without a timeout', () => {
    expect(lintsOf('unreachable-step', { steps: [waitWithoutTimeout('w', [], [email('late')])] })).toEqual([
      { path: '$.steps[0].onTimeout[0]', message: 'step "late" never runs: "w" has no timeout, so its onTimeout steps never run' },
    ]);
  });

  it('is quiet when an exit step ends its list and every step has a way in', () => {
    const steps = [waitForEvent('w', 'checkout_started', '1h', [exit('bought')], [email('nudge')]), branch('b', isTeam, [], [exit('x')]), email('last'), exit('done')];
    expect(lintsOf('unreachable-step', { steps })).toEqual([]);
  });
});
