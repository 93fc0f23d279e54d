/**
 * Loading rule files: the example rules load; a bad file is rejected naming the file, the JSON path
 * inside it and the reason, and one bad file fails the whole set.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { branch, countOf, email, eventAt, ruleJson, sms, wait, waitForEvent, waitUntil } from '../test/support/unit-rules';
import { listRuleFiles, loadRules, validateRuleFiles } from './load-rules';
import { formatJsonPath, formatProblem, InvalidRuleSetError } from './rule-errors';

const RULES_DIR = new URL('.', import.meta.url).pathname;

/** A fresh directory holding the given files (name -> JSON value, or raw text). */
function ruleDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-rules-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return dir;
}

/** Problems of a rule set, with paths formatted as rule authors see them. */
function problemsOf(files: Record<string, unknown>) {
  const dir = ruleDir(files);
  return validateRuleFiles([dir], dir).problems.map((p) => ({ file: p.file, path: formatJsonPath(p.path), message: p.message }));
}

describe('the example rules', () => {
  it('load without problems', () => {
    const loaded = loadRules([RULES_DIR]);
    expect(loaded.map((l) => l.rule.id).sort()).toEqual(['cart-abandonment', 'pricing-hesitation', 'spring-offer', 'trial-activation', 'weekly-pricing-followup', 'win-back']);
    for (const { file } of loaded) expect(file).toMatch(/\.json$/);
  });

  it('trial-activation and the weekly schedule keep their own time zones; the others name none (the global default applies)', () => {
    const zones = Object.fromEntries(loadRules([RULES_DIR]).map((l) => [l.rule.id, l.rule.timezone]));
    expect(zones).toEqual({ 'cart-abandonment': undefined, 'pricing-hesitation': undefined, 'spring-offer': undefined, 'trial-activation': 'America/New_York', 'weekly-pricing-followup': 'Europe/Berlin', 'win-back': undefined });
  });
});

describe('listRuleFiles', () => {
  it('takes the *.json files of a directory in name order, skipping *.schema.json and other files', () => {
    const dir = ruleDir({ 'b.json': '{}', 'a.json': '{}', 'rule.schema.json': '{}', 'notes.txt': 'x' });
    expect(listRuleFiles([dir])).toEqual([join(dir, 'a.json'), join(dir, 'b.json')]);
  });

  it('takes a file that is named directly', () => {
    const dir = ruleDir({ 'one.json': '{}' });
    expect(listRuleFiles([join(dir, 'one.json')])).toEqual([join(dir, 'one.json')]);
  });
});

describe('a rule file is rejected naming the file, the JSON path and the reason', () => {
  const paid = { all: [countOf('order_completed', '7d', 'equal', 0)] };
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a zero duration', ruleJson({ steps: [email('a'), sms('b'), wait('c', '0d')] }), '$.steps[2].duration', /greater than zero/],
    ['a duration in words', ruleJson({ steps: [email('a'), sms('b'), wait('c', '2 days')] }), '$.steps[2].duration', /a number and a unit/],
    ['an unknown step type', ruleJson({ steps: [email('a'), { id: 'b', type: 'carrier-pigeon' } as never] }), '$.steps[1].type', /discriminator|expected/i],
    ['a duplicate step id', ruleJson({ steps: [email('same'), sms('same')] }), '$.steps[1].id', /step id "same" is already used by steps\.0/],
    [
      'a duplicate step id inside a branch',
      ruleJson({ steps: [email('hello'), branch('b', paid, [], [sms('hello')])] }),
      '$.steps[1].else[0].id',
      /step id "hello" is already used/,
    ],
    [
      'a duplicate step id inside waitForEvent',
      ruleJson({ steps: [waitForEvent('w', 'x', '1h', [sms('again')], [email('again')])] }),
      '$.steps[0].onTimeout[0].id',
      /step id "again" is already used by steps\.0\.onEvent\.0/,
    ],
    ['an invalid rule time zone', ruleJson({ timezone: 'Mars/Olympus_Mons' }), '$.timezone', /"Mars\/Olympus_Mons" is not an IANA time zone/],
    ['an invalid waitUntil time zone', ruleJson({ steps: [waitUntil('u', '09:00', 'Europe/Atlantis')] }), '$.steps[0].timezone', /not an IANA time zone/],
    ['a Liquid template that does not parse', ruleJson({ steps: [email('a', 'Hi {{ traits.name', 'x')] }), '$.steps[0].subject', /template does not parse/],
    ['a Liquid filter that does not exist', ruleJson({ steps: [sms('a', '{{ coupon.code | shout }}')] }), '$.steps[0].body', /template does not parse: undefined filter: shout/],
    [
      'a webhook payload template that does not parse',
      ruleJson({ steps: [{ id: 'h', type: 'webhook', url: 'http://x.test/h', payload: { 'user-id': '{% if %}' } }] }),
      '$.steps[0].payload["user-id"]',
      /template does not parse/,
    ],
    ['an extra top-level property', ruleJson({ priority: 1 }), '$', /Unrecognized key: "priority"/],
    ['an extra step property', ruleJson({ steps: [{ ...email('a'), cc: 'boss@example.com' } as never] }), '$.steps[0]', /Unrecognized key: "cc"/],
  ])('%s: %s', (_name, json, path, reason) => {
    expect(problemsOf({ 'bad.json': json })).toContainEqual({ file: 'bad.json', path, message: expect.stringMatching(reason) });
  });

  // The leaf that is wrong, not just "the conditions", must be named: a marketer cannot find the mistake otherwise.
  it.each<[string, unknown, RegExp, RegExp]>([
    [
      'an unknown fact',
      { all: [eventAt('$.properties.page', 'equal', 'pricing'), { fact: 'weather', path: '$.sky', operator: 'equal', value: 'blue' }] },
      /^\$\.trigger\.conditions\.all\[1\](\.fact)?$/,
      /event.*traits.*count.*secondsSinceLast|weather/,
    ],
    ['a count with a non-integer value', { all: [countOf('page_viewed', '7d', 'greaterThanInclusive', 2.5)] }, /^\$\.trigger\.conditions\.all\[0\]\.value$/, /int/i],
  ])('%s is reported at the leaf, with the reason', (_name, conditions, path, reason) => {
    const problems = problemsOf({ 'bad.json': ruleJson({ trigger: { event: 'page_viewed', conditions: conditions as never } }) });
    expect(problems).toContainEqual({ file: 'bad.json', path: expect.stringMatching(path), message: expect.stringMatching(reason) });
  });

  it('invalid JSON is reported for the whole file', () => {
    expect(problemsOf({ 'broken.json': '{ "id": "x", ' })).toEqual([{ file: 'broken.json', path: '$', message: expect.stringMatching(/^not valid JSON: /) }]);
  });

  it('a rule id defined in two files is reported on the second, naming the first', () => {
    expect(problemsOf({ 'a.json': ruleJson({ id: 'welcome' }), 'b.json': ruleJson({ id: 'welcome' }) })).toEqual([
      { file: 'b.json', path: '$.id', message: 'rule id "welcome" is already defined in a.json' },
    ]);
  });
});

describe('loadRules', () => {
  it('one bad file fails the whole set, and the error lists every problem as "file:line:column: path: reason"', () => {
    const dir = ruleDir({
      'good.json': ruleJson({ id: 'good' }),
      'bad.json': ruleJson({ id: 'bad', steps: [email('a'), wait('b', '0d')] }),
    });
    let error: unknown;
    try {
      loadRules([dir], dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidRuleSetError);
    const { problems, message } = error as InvalidRuleSetError;
    expect(problems.map(formatProblem)).toEqual(['bad.json:22:19: $.steps[1].duration: the duration must be greater than zero']);
    expect(message).toBe('invalid rule set (1 problem):\n  bad.json:22:19: $.steps[1].duration: the duration must be greater than zero');
  });

  it('semantic problems are all reported together', () => {
    const dir = ruleDir({ 'bad.json': ruleJson({ timezone: 'Nowhere/Land', steps: [email('a', '{{ x'), sms('a')] }) });
    expect(() => loadRules([dir], dir)).toThrow(InvalidRuleSetError);
    expect(validateRuleFiles([dir], dir).problems.map(formatProblem)).toEqual([
      'bad.json:25:15: $.timezone: "Nowhere/Land" is not an IANA time zone (e.g. "Europe/Berlin")',
      expect.stringMatching(/^bad\.json:16:18: \$\.steps\[0\]\.subject: template does not parse: /),
      'bad.json:20:13: $.steps[1].id: step id "a" is already used by steps.0',
    ]);
  });

  it('validateRuleFiles still returns the rules that are valid', () => {
    const dir = ruleDir({ 'good.json': ruleJson({ id: 'good' }), 'bad.json': '[' });
    const { rules, problems } = validateRuleFiles([dir], dir);
    expect(rules.map((r) => [r.file, r.rule.id])).toEqual([['good.json', 'good']]);
    expect(problems.map((p) => p.file)).toEqual(['bad.json']);
  });
});
