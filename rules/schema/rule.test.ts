/**
 * The rule schema: what a rule file may say, the defaults it gets, and where the schema points when a
 * file says something it may not. Loader-level reporting (file names, semantic checks) is specified in
 * rules/load-rules.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { branch, countOf, coupon, email, eventAt, exit, ruleJson, sinceLast, sms, traitAt, wait, waitForEvent, waitUntil, webhook } from '../../test/support/unit-rules';
import { formatJsonPath } from '../rule-errors';
import { leavesOf, parseDuration, RuleSchema, walkSteps, type Step, type TopLevelCondition } from './index';

const issuesOf = (json: unknown) => {
  const parsed = RuleSchema.safeParse(json);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: formatJsonPath(issue.path as (string | number)[]), message: issue.message }));
};

describe('rule defaults', () => {
  it('a rule without timezone or exitOn names no time zone (the global default applies) and no exit events', () => {
    const rule = RuleSchema.parse(ruleJson());
    expect(rule.timezone).toBeUndefined();
    expect(rule.exitOn).toEqual([]);
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
  ])('"%s" is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(issuesOf(ruleJson({ steps: [wait('w', text)] }))).toEqual([]);
  });

  it.each([
    ['0d', 'must be greater than zero'],
    ['0ms', 'must be greater than zero'],
    ['2 days', 'a duration is a number and a unit'],
    ['7', 'a duration is a number and a unit'],
    ['1y', 'a duration is a number and a unit'],
    ['-1d', 'a duration is a number and a unit'],
    ['', 'a duration is a number and a unit'],
  ])('"%s" is rejected at the step\'s duration: %s', (text, reason) => {
    expect(() => parseDuration(text)).toThrow(/not a positive duration/);
    expect(issuesOf(ruleJson({ steps: [email('a'), wait('w', text)] }))).toContainEqual({ path: '$.steps[1].duration', message: expect.stringContaining(reason) });
  });
});

describe('step types', () => {
  const always: TopLevelCondition = { all: [traitAt('$.plan', 'equal', 'team')] };
  it.each<[string, Step]>([
    ['coupon', coupon('c', { pool: 'cart10', prefix: 'SAVE10-' })],
    ['email', { id: 'e', type: 'email', to: '{{ traits.email }}', subject: 's', text: 't', html: '<p>t</p>' }],
    ['sms', { id: 's', type: 'sms', to: '{{ traits.phone }}', body: 'b' }],
    ['webhook', { id: 'h', type: 'webhook', url: 'https://crm.example.com/hook', payload: { user: '{{ user.id }}', n: 1 } }],
    ['wait', wait('w', '2d')],
    ['waitUntil', waitUntil('u', '09:30', 'Europe/Berlin')],
    ['waitForEvent', waitForEvent('f', 'checkout_started', '1h', [sms('f-yes')], [email('f-no')], always)],
    ['branch', branch('b', always, [sms('b-yes')], [])],
    ['exit', exit('x')],
  ])('a %s step is accepted as written', (_type, step) => {
    const parsed = RuleSchema.safeParse(ruleJson({ steps: [step] }));
    expect(parsed.error?.issues).toBeUndefined();
    expect(parsed.data?.steps).toEqual([step]);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['an unknown step type', { id: 'x', type: 'push' }, '$.steps[0].type', /discriminator|expected/i],
    ['a step id with capitals', { id: 'Send', type: 'exit' }, '$.steps[0].id', /step id/],
    ['a waitUntil at 24:00', { id: 'u', type: 'waitUntil', time: '24:00' }, '$.steps[0].time', /HH:mm/],
    ['a webhook to an ftp url', { id: 'h', type: 'webhook', url: 'ftp://example.com/x' }, '$.steps[0].url', /url/i],
    ['an email without text', { id: 'e', type: 'email', subject: 's' }, '$.steps[0].text', /./],
    ['an unknown step property', { id: 'x', type: 'exit', after: '1d' }, '$.steps[0]', /Unrecognized key: "after"/],
  ])('%s is rejected at %s', (_name, step, path, reason) => {
    expect(issuesOf(ruleJson({ steps: [step as Step] }))).toContainEqual({ path, message: expect.stringMatching(reason) });
  });

  it('a nested step is checked like a top-level one, and the path leads into the nesting', () => {
    const steps = [branch('b', { all: [traitAt('$.plan', 'equal', 'team')] }, [], [waitForEvent('f', 'x', '1h', [], [wait('w', '0d')])])];
    expect(issuesOf(ruleJson({ steps }))).toEqual([{ path: '$.steps[0].else[0].onTimeout[0].duration', message: 'the duration must be greater than zero' }]);
  });
});

describe('rule-level fields', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a rule id with spaces', { id: 'my rule' }, '$.id', /rule id/],
    ['version 0', { version: 0 }, '$.version', /./],
    ['no steps', { steps: [] }, '$.steps', /at least one step/],
    ['an unknown entry policy', { entry: { policy: 'twice' } }, '$.entry.policy', /./],
    ['oncePerWindow without a window', { entry: { policy: 'oncePerWindow' } }, '$.entry.window', /./],
    ['an unknown top-level property', { priority: 3 }, '$', /Unrecognized key: "priority"/],
    ['an unknown trigger property', { trigger: { event: 'a', when: 'now' } }, '$.trigger', /Unrecognized key: "when"/],
  ])('%s is rejected at %s', (_name, overrides, path, reason) => {
    expect(issuesOf(ruleJson(overrides))).toContainEqual({ path, message: expect.stringMatching(reason) });
  });
});

describe('conditions', () => {
  const withTrigger = (conditions: unknown) => ruleJson({ trigger: { event: 'page_viewed', conditions: conditions as TopLevelCondition } });

  it.each<[string, TopLevelCondition]>([
    ['event path', { all: [eventAt('$.properties.page', 'equal', 'pricing')] }],
    ['traits path', { any: [traitAt('$.plan', 'in', ['team', 'business'])] }],
    ['count', { all: [countOf('page_viewed', '7d', 'greaterThanInclusive', 3, { page: 'pricing' })] }],
    ['secondsSinceLast', { all: [sinceLast('page_viewed', 'lessThan', 60)] }],
    ['nested all / any / not', { all: [{ any: [eventAt('$.event', 'equal', 'a'), { not: traitAt('$.vip', 'equal', true) }] }] }],
  ])('a %s condition is accepted', (_name, conditions) => {
    expect(issuesOf(withTrigger(conditions))).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['an unknown fact', { all: [{ fact: 'weather', path: '$.sky', operator: 'equal', value: 'blue' }] }],
    ['a count with a non-integer value', { all: [countOf('a', '7d', 'equal', 1.5)] }],
    ['a count above 1000', { all: [countOf('a', '7d', 'greaterThan', 1001)] }],
    ['a count with a bad window', { all: [countOf('a', '2 days', 'equal', 1)] }],
    ['a count compared with "in"', { all: [countOf('a', '7d', 'in', 1)] }],
    ['a path that is not a JSON path', { all: [eventAt('properties.page', 'equal', 'x')] }],
    ['an empty all', { all: [] }],
    ['a bare leaf at the top', eventAt('$.event', 'equal', 'a')],
  ])('%s is rejected', (_name, conditions) => {
    expect(issuesOf(withTrigger(conditions))).not.toEqual([]);
  });
});

describe('formatJsonPath', () => {
  it.each<[(string | number)[], string]>([
    [[], '$'],
    [['steps', 2, 'duration'], '$.steps[2].duration'],
    [['steps', 0, 'then', 1, 'id'], '$.steps[0].then[1].id'],
    [['steps', 0, 'payload', 'user-id'], '$.steps[0].payload["user-id"]'],
    [['trigger', 'conditions', 'all', 0], '$.trigger.conditions.all[0]'],
  ])('%j is %s', (path, text) => {
    expect(formatJsonPath(path)).toBe(text);
  });
});

describe('walkers', () => {
  it('walkSteps visits nested steps depth-first with their paths', () => {
    const steps = [
      email('a'),
      branch('b', { all: [traitAt('$.plan', 'equal', 'x')] }, [sms('b-then')], [waitForEvent('c', 'x', '1h', [exit('c-event')], [webhook('c-timeout')])]),
      wait('d', '1d'),
    ];
    expect([...walkSteps(steps)].map(([step, path]) => [step.id, formatJsonPath(path)])).toEqual([
      ['a', '$.steps[0]'],
      ['b', '$.steps[1]'],
      ['b-then', '$.steps[1].then[0]'],
      ['c', '$.steps[1].else[0]'],
      ['c-event', '$.steps[1].else[0].onEvent[0]'],
      ['c-timeout', '$.steps[1].else[0].onTimeout[0]'],
      ['d', '$.steps[2]'],
    ]);
  });

  it('leavesOf yields every leaf with its path in the tree', () => {
    const tree: TopLevelCondition = { all: [eventAt('$.a', 'equal', 1), { any: [traitAt('$.b', 'equal', 2), { not: sinceLast('c', 'lessThan', 3) }] }] };
    expect([...leavesOf(tree)].map(([leaf, path]) => [leaf.fact, formatJsonPath(path)])).toEqual([
      ['event', '$.all[0]'],
      ['traits', '$.all[1].any[0]'],
      ['secondsSinceLast', '$.all[1].any[1].not'],
    ]);
  });
});
