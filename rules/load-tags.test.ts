/**
 * Loading tag files (rules/tags/*.json) like rule files: the example tags load; every problem names the
 * file, line:column, JSON path and reason; tags read only tags that exist, never in a cycle, and never
 * the event fact; a rule reading an unknown tag fails the rule set; `nudge validate` shows it all.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countOf, email, ruleJson, tagIs } from '../test/support/unit-rules';
import { validateRuleSet } from './lint/validate-rule-set';
import { defaultTagPaths, loadRuleSet, validateRuleSetFiles } from './load-rule-set';
import { listTagFiles, loadTags, validateTagFiles } from './load-tags';
import { formatProblem, InvalidRuleSetError } from './rule-errors';

const TAGS_DIR = new URL('tags', import.meta.url).pathname;

/** A rule directory with the given rule files and, under tags/, the given tag files (name -> JSON value or raw text). */
function ruleSetDir(rules: Record<string, unknown>, tags: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-tags-'));
  mkdirSync(join(dir, 'tags'));
  const write = (path: string, content: unknown) => writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  for (const [name, content] of Object.entries(rules)) write(join(dir, name), content);
  for (const [name, content] of Object.entries(tags)) write(join(dir, 'tags', name), content);
  return dir;
}

const problemsOf = (tags: Record<string, unknown>, rules: Record<string, unknown> = {}) => {
  const dir = ruleSetDir(rules, tags);
  return validateRuleSetFiles([dir], [join(dir, 'tags')], dir).problems.map(formatProblem);
};

const reads = (name: string, ...tags: string[]) => ({ name, kind: 'condition', conditions: { all: tags.map((tag) => tagIs(tag, 'equal', true)) } });
const visits = { name: 'visits', kind: 'count', event: 'page_viewed', within: '7d' };

describe('the example tags', () => {
  it('load without problems: recent_visits_7d, visit_depth, funnel_stage, high_intent', () => {
    expect(loadTags([TAGS_DIR]).map(({ tag }) => `${tag.name} (${tag.kind})`).sort()).toEqual([
      'funnel_stage (stages)',
      'high_intent (condition)',
      'recent_visits_7d (count)',
      'visit_depth (distinct)',
    ]);
  });

  it('are the tags of the example rule set (rules/tags, found beside the rules)', () => {
    const rulesDir = new URL('.', import.meta.url).pathname;
    expect(defaultTagPaths([rulesDir])).toEqual([join(rulesDir, 'tags')]);
    expect(loadRuleSet([rulesDir]).tags).toHaveLength(4);
  });
});

describe('tag files', () => {
  it('are the *.json files of the directories, not *.schema.json; a missing directory holds none', () => {
    const dir = ruleSetDir({}, { 'b.json': '{}', 'a.json': '{}', 'tag.schema.json': '{}', 'notes.txt': 'x' });
    expect(listTagFiles([join(dir, 'tags'), join(dir, 'missing')])).toEqual([join(dir, 'tags', 'a.json'), join(dir, 'tags', 'b.json')]);
    expect(defaultTagPaths([join(dir, 'tags', 'a.json')])).toEqual([]);
  });

  it('report schema errors with file, line:column and JSON path', () => {
    expect(problemsOf({ 'depth.json': { name: 'depth', kind: 'distinct', event: 'page_viewed', property: 'path', sessionGap: '30 minutes' } })).toEqual([
      expect.stringMatching(/^tags\/depth\.json:6:17: \$\.sessionGap: a duration is a number and a unit/),
    ]);
    expect(problemsOf({ 'bad.json': '{\n  "name": "x",\n  "kind": "count",,\n}' })).toEqual([expect.stringMatching(/^tags\/bad\.json:3:19: \$: not valid JSON: /)]);
  });

  it('point into a stage\'s condition tree', () => {
    const stages = { name: 'stage', kind: 'stages', stages: [{ name: 'seen', conditions: { all: [countOf('page_viewed', '2 weeks', 'greaterThan', 0)] } }] };
    expect(problemsOf({ 'stage.json': stages })).toEqual([expect.stringMatching(/^tags\/stage\.json:\d+:\d+: \$\.stages\[0\]\.conditions\.all\[0\]\.params\.within: a duration/)]);
  });

  it('may not read the event fact: a tag is about the person, not one event', () => {
    const tag = { name: 'pricing_now', kind: 'condition', conditions: { all: [{ fact: 'event', path: '$.properties.page', operator: 'equal', value: 'pricing' }] } };
    expect(problemsOf({ 'pricing-now.json': tag })).toEqual([expect.stringMatching(/^tags\/pricing-now\.json:7:\d+: \$\.conditions\.all\[0\]\.fact: a tag cannot read the event fact/)]);
  });

  it('have unique names', () => {
    expect(problemsOf({ 'a.json': visits, 'b.json': visits })).toEqual(['tags/b.json:2:11: $.name: tag "visits" is already defined in tags/a.json']);
  });

  it('read only tags that are defined', () => {
    expect(problemsOf({ 'hot.json': reads('hot', 'visits', 'depth'), 'visits.json': visits })).toEqual([
      expect.stringMatching(/^tags\/hot\.json:\d+:\d+: \$\.conditions\.all\[1\]\.path: no tag "depth" is defined \(tags: hot, visits\)$/),
    ]);
  });

  it('never read each other in a cycle; the error names the cycle at the reading leaf', () => {
    expect(problemsOf({ 'a.json': reads('a', 'b'), 'b.json': reads('b', 'c'), 'c.json': reads('c', 'a') })).toEqual([
      'tags/a.json:8:17: $.conditions.all[0].path: tags cannot read each other in a cycle: a → b → c → a',
    ]);
    expect(problemsOf({ 'me.json': reads('me', 'me') })).toEqual(['tags/me.json:8:17: $.conditions.all[0].path: tags cannot read each other in a cycle: me → me']);
  });

  it('that are invalid are left out of the set, but their names still count as defined', () => {
    const dir = ruleSetDir({}, { 'hot.json': reads('hot', 'visits'), 'visits.json': { ...visits, within: 'forever' } });
    const { tags, names, problems } = validateTagFiles([join(dir, 'tags')], dir);
    expect(tags).toEqual([expect.objectContaining({ file: 'tags/hot.json' })]);
    expect(names).toEqual(new Set(['hot', 'visits']));
    expect(problems.map(formatProblem)).toEqual([expect.stringMatching(/^tags\/visits\.json:5:13: \$\.within: a duration/)]);
  });
});

describe('rules reading tags', () => {
  const readsTag = (tag: string) => ruleJson({ trigger: { event: 'page_viewed', conditions: { all: [tagIs(tag, 'in', ['viewed_pricing'])] } } });

  it('load with the tag set', () => {
    const dir = ruleSetDir({ 'r.json': readsTag('funnel') }, { 'funnel.json': { name: 'funnel', kind: 'stages', stages: [{ name: 'viewed_pricing', conditions: { all: [countOf('page_viewed', '7d', 'greaterThan', 0)] } }] } });
    const { rules, tags } = loadRuleSet([dir], [join(dir, 'tags')], dir);
    expect(rules.map((r) => r.rule.id)).toEqual(['test-rule']);
    expect(tags.map((t) => t.tag.name)).toEqual(['funnel']);
  });

  it('fail the rule set when the tag is not defined, at the leaf\'s path', () => {
    const dir = ruleSetDir({ 'r.json': readsTag('funel') }, { 'visits.json': visits });
    const error = (() => {
      try {
        loadRuleSet([dir], [join(dir, 'tags')], dir);
      } catch (e) {
        return e as InvalidRuleSetError;
      }
      throw new Error('expected the rule set to be rejected');
    })();
    expect(error).toBeInstanceOf(InvalidRuleSetError);
    expect(error.problems.map(formatProblem)).toEqual(['r.json:12:19: $.trigger.conditions.all[0].path: no tag "funel" is defined (tags: visits)']);
  });

  it('in templates: a tag no file defines is a lint warning in `nudge validate`', () => {
    const rule = ruleJson({ exitOn: [{ event: 'page_viewed' }], steps: [email('hi', 'You are at {{ tags.visits }} and {{ tags.stage }}', 'x')] });
    const dir = ruleSetDir({ 'r.json': rule }, { 'visits.json': visits });
    expect(validateRuleSet([dir], dir).warnings.map(formatProblem)).toEqual([
      'r.json:16:18: warning: $.steps[0].subject: {{ tags.stage }}: no tag "stage" is defined (tags: visits) [unknown-template-variable]',
    ]);
  });

  it('a tag counting an event nothing sends is an unknown-event warning in its file', () => {
    const dir = ruleSetDir({ 'r.json': ruleJson({ exitOn: [{ event: 'page_viewed' }] }) }, { 'orders.json': { name: 'orders', kind: 'count', event: 'order_complete', within: '30d' } });
    expect(validateRuleSet([dir], dir).warnings.filter((w) => w.code === 'unknown-event').map(formatProblem)).toEqual([
      expect.stringMatching(/^tags\/orders\.json:4:12: warning: \$\.event: event "order_complete" triggers no enabled rule.* \[unknown-event\]$/),
    ]);
  });
});
