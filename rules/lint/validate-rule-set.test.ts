/**
 * A rule set as `nudge validate` sees it: rule files and catalog.json checked for errors, then the
 * valid rules linted against each other and the catalog, every finding with file, line and column.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { email, ruleJson, waitForEvent } from '../../test/support/unit-rules';
import { listRuleFiles } from '../load-rules';
import { formatProblem } from '../rule-errors';
import { findCatalogFile } from './catalog-file';
import { lintRuleSet, validateRuleSet } from './validate-rule-set';

const RULES_DIR = new URL('..', import.meta.url).pathname;

function ruleDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-lint-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return dir;
}

const validCatalog = { events: { page_viewed: { properties: { page: { type: 'string' } } }, order_completed: {} }, traits: { first_name: { type: 'string' } } };

describe('the example rules and catalog', () => {
  const report = validateRuleSet([RULES_DIR], RULES_DIR);

  it('have no errors, and the catalog is found beside them', () => {
    expect(report.errors).toEqual([]);
    expect(report.rules.map((r) => r.rule.id).sort()).toEqual(['cart-abandonment', 'pricing-hesitation', 'spring-offer', 'trial-activation', 'weekly-pricing-followup', 'win-back']);
    expect(report.catalogFile).toBe('catalog.json');
  });

  it('warn only that their SMS steps can arrive at night', () => {
    expect(report.warnings.map(formatProblem)).toEqual([
      expect.stringMatching(/^pricing-hesitation\.json:\d+:5: warning: \$\.steps\[3\]: SMS step "coupon-sms" has no quiet hours in this rule: .* \[sms-without-quiet-hours\]$/),
      expect.stringMatching(/^trial-activation\.json:\d+:9: warning: \$\.steps\[3\]\.then\[0\]: SMS step "setup-sms" .* \[sms-without-quiet-hours\]$/),
    ]);
  });
});

describe('the catalog', () => {
  it('is not a rule file', () => {
    const dir = ruleDir({ 'a.json': '{}', 'catalog.json': '{}' });
    expect(listRuleFiles([dir])).toEqual([join(dir, 'a.json')]);
    expect(listRuleFiles([join(dir, 'catalog.json')])).toEqual([]);
  });

  it('is found in the first directory argument, else in the directory of the first file', () => {
    const withCatalog = ruleDir({ 'a.json': '{}', 'catalog.json': '{}' });
    const without = ruleDir({ 'b.json': '{}' });
    expect(findCatalogFile([join(without, 'b.json'), withCatalog])).toBe(join(withCatalog, 'catalog.json'));
    expect(findCatalogFile([join(withCatalog, 'a.json'), join(without, 'b.json')])).toBe(join(withCatalog, 'catalog.json'));
    expect(findCatalogFile([without])).toBeUndefined();
  });

  it('is validated like a rule file: every problem with its line, column and JSON path', () => {
    const text = '{\n  "events": {\n    "page_viewed": { "properties": { "page": { "type": "date" } } },\n    "signed_up": { "owner": "growth" }\n  }\n}\n';
    const dir = ruleDir({ 'r.json': ruleJson(), 'catalog.json': text });
    expect(validateRuleSet([dir], dir).errors.map(formatProblem)).toEqual([
      expect.stringMatching(/^catalog\.json:3:56: \$\.events\.page_viewed\.properties\.page\.type: Invalid option: expected one of "string"\|"number"\|"boolean"$/),
      'catalog.json:4:20: $.events.signed_up: Unrecognized key: "owner"',
      expect.stringMatching(/^catalog\.json:1:1: \$\.traits: /),
    ]);
  });

  it('that is not JSON is an error with its position', () => {
    const dir = ruleDir({ 'r.json': ruleJson(), 'catalog.json': '{\n  "events": {,\n' });
    expect(validateRuleSet([dir], dir).errors.map(formatProblem)).toEqual([expect.stringMatching(/^catalog\.json:2:14: \$: not valid JSON: /)]);
  });

  it('is what makes the example rules\' exit and waited-for events known', () => {
    const { rules } = validateRuleSet([RULES_DIR], RULES_DIR);
    const unknown = lintRuleSet(rules).filter((lint) => lint.code === 'unknown-event').map((lint) => lint.message.split(' ')[1]);
    expect([...new Set(unknown)].sort()).toEqual(['"checkout_started"', '"order_completed"', '"setup_completed"']);
  });
});

describe('lints over a rule set', () => {
  it('know the trigger events of the other enabled rules, not of disabled ones', () => {
    const dir = ruleDir({
      'a.json': ruleJson({ id: 'a', exitOn: [{ event: 'order_completed' }, { event: 'signed_up' }] }),
      'b.json': ruleJson({ id: 'b', trigger: { event: 'order_completed' }, exitOn: [{ event: 'page_viewed' }] }),
      'c.json': ruleJson({ id: 'c', enabled: false, trigger: { event: 'signed_up' }, exitOn: [{ event: 'page_viewed' }] }),
    });
    const unknown = validateRuleSet([dir], dir).warnings.filter((w) => w.code === 'unknown-event');
    expect(unknown.map((w) => [w.file, w.message.split(' ')[1]])).toEqual([['a.json', '"signed_up"']]);
  });

  it('use the catalog: its events are known and its traits are checked in templates', () => {
    const dir = ruleDir({
      'a.json': ruleJson({ exitOn: [{ event: 'order_completed' }], steps: [email('hi', 'Hi {{ traits.first_name }}, {{ traits.nickname }}', 'x')] }),
      'catalog.json': validCatalog,
    });
    expect(validateRuleSet([dir], dir).warnings.map(formatProblem)).toEqual([
      'a.json:16:18: warning: $.steps[0].subject: {{ traits.nickname }}: "nickname" is not a trait in the catalog [unknown-template-variable]',
    ]);
  });

  it('are reported in file order, then by position in the file', () => {
    const dir = ruleDir({
      'b.json': ruleJson({ id: 'b', steps: [waitForEvent('w', 'page_viewed', '1h', [], []), email('late', 'Hello', 'Still there?')] }),
      'a.json': ruleJson({ id: 'a', entry: { policy: 'everyTime' }, exitOn: [{ event: 'page_viewed' }], steps: [{ id: 'w', type: 'waitForEvent', event: 'page_viewed', onEvent: [], onTimeout: [] }] }),
    });
    expect(validateRuleSet([dir], dir).warnings.map((w) => `${w.file}:${w.line}:${w.column} ${w.code}`)).toEqual([
      'a.json:10:15 unbounded-reentry',
      'a.json:13:5 wait-for-event-without-timeout',
      'b.json:1:1 no-exit-event',
    ]);
  });

  it('do not run on a rule with errors (its errors say enough)', () => {
    const dir = ruleDir({ 'a.json': ruleJson({ entry: { policy: 'everyTime' }, steps: [{ id: 'w', type: 'wait', duration: '0d' }] }) });
    const report = validateRuleSet([dir], dir);
    expect(report.errors).toHaveLength(1);
    expect(report.warnings).toEqual([]);
  });
});
