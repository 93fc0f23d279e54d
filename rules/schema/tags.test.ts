/**
 * The tag schema: the four kinds as tag files write them, their defaults, where the schema points when
 * a file says something it may not, the `tags` leaf in rule conditions, and the dependency order and
 * cycles between tags.
 */
import { describe, expect, it } from 'vitest';
import { countOf, ruleJson, tagIs } from '../../test/support/unit-rules';
import { formatJsonPath } from '../rule-errors';
import { RuleSchema } from './rule';
import { dependencyOrder, tagCycles, tagDependencies, TagSchema, type Tag } from './tags';

const issuesOf = (schema: typeof TagSchema | typeof RuleSchema, json: unknown) => {
  const parsed = schema.safeParse(json);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: formatJsonPath(issue.path as (string | number)[]), message: issue.message }));
};

const conditionTag = (name: string, ...reads: string[]): Tag =>
  TagSchema.parse({ name, kind: 'condition', conditions: { all: reads.length ? reads.map((r) => tagIs(r, 'equal', true)) : [countOf('x', '1d', 'greaterThan', 0)] } });

describe('tag kinds', () => {
  it('count: event, filter and window; counting stops at max (default 100)', () => {
    expect(TagSchema.parse({ name: 'pricing_views_7d', kind: 'count', event: 'page_viewed', where: { page: 'pricing' }, within: '7d' }))
      .toEqual({ name: 'pricing_views_7d', kind: 'count', event: 'page_viewed', where: { page: 'pricing' }, within: '7d', max: 100 });
  });

  it('distinct: event, property and session gap; at most max values (default 20)', () => {
    expect(TagSchema.parse({ name: 'visit_depth', kind: 'distinct', event: 'page_viewed', property: 'path', sessionGap: '30m' }))
      .toEqual({ name: 'visit_depth', kind: 'distinct', event: 'page_viewed', property: 'path', sessionGap: '30m', max: 20 });
  });

  it('stages and condition: condition trees, which may read other tags', () => {
    const stages = { name: 'funnel_stage', kind: 'stages', stages: [{ name: 'visited', conditions: { all: [countOf('page_viewed', '30d', 'greaterThan', 0)] } }] };
    expect(TagSchema.parse(stages)).toEqual(stages);
    const condition = { name: 'high_intent', kind: 'condition', conditions: { any: [tagIs('funnel_stage', 'in', ['visited'])] } };
    expect(TagSchema.parse(condition)).toEqual(condition);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an unknown kind', { name: 'a', kind: 'average' }, '$.kind', /expected/i],
    ['a name with capitals', { name: 'VisitDepth', kind: 'count', event: 'e', within: '1d' }, '$.name', /a tag name is 1-64 lowercase letters/],
    ['a name with a dash (not usable as {{ tags.name }})', { name: 'visit-depth', kind: 'count', event: 'e', within: '1d' }, '$.name', /a tag name/],
    ['a window in words', { name: 'a', kind: 'count', event: 'e', within: 'a week' }, '$.within', /a duration is a number and a unit/],
    ['a count max above 1000', { name: 'a', kind: 'count', event: 'e', within: '1d', max: 5000 }, '$.max', /<=1000/],
    ['a distinct max above 100', { name: 'a', kind: 'distinct', event: 'e', property: 'p', sessionGap: '30m', max: 101 }, '$.max', /<=100/],
    ['a zero session gap', { name: 'a', kind: 'distinct', event: 'e', property: 'p', sessionGap: '0m' }, '$.sessionGap', /greater than zero/],
    ['no stages', { name: 'a', kind: 'stages', stages: [] }, '$.stages', /too small/i],
    ['two stages of one name', { name: 'a', kind: 'stages', stages: [{ name: 's', conditions: { all: [tagIs('b', 'equal', 1)] } }, { name: 's', conditions: { all: [tagIs('b', 'equal', 2)] } }] }, '$.stages', /stage names must be unique/],
    ['an unknown property', { name: 'a', kind: 'count', event: 'e', within: '1d', window: '2d' }, '$', /Unrecognized key: "window"/],
  ])('%s is rejected, naming the field', (_name, json, path, reason) => {
    expect(issuesOf(TagSchema, json)).toContainEqual({ path, message: expect.stringMatching(reason) });
  });
});

describe('the tags fact in rule conditions', () => {
  it('reads one tag by name', () => {
    expect(issuesOf(RuleSchema, ruleJson({ trigger: { event: 'page_viewed', conditions: { all: [tagIs('funnel_stage', 'equal', 'viewed_pricing')] } } }))).toEqual([]);
  });

  it.each([['$.funnel_stage.name'], ['$'], ['$.Funnel']])('a path that is not one tag ("%s") is rejected at the leaf\'s path', (path) => {
    const conditions = { all: [{ fact: 'tags', path, operator: 'equal', value: 'x' }] };
    expect(issuesOf(RuleSchema, ruleJson({ trigger: { event: 'page_viewed', conditions } }))).toEqual([
      { path: '$.trigger.conditions.all[0].path', message: 'a tags path names one tag, e.g. "$.funnel_stage"' },
    ]);
  });
});

describe('dependencies between tags', () => {
  it('names each tag read with the JSON path of its leaf', () => {
    const tag = TagSchema.parse({ name: 'a', kind: 'stages', stages: [{ name: 's', conditions: { all: [{ not: tagIs('b', 'equal', 1) }] } }, { name: 't', conditions: { any: [tagIs('c', 'equal', 1)] } }] });
    expect(tagDependencies(tag)).toEqual([['b', ['stages', 0, 'conditions', 'all', 0, 'not']], ['c', ['stages', 1, 'conditions', 'any', 0]]]);
  });

  it('orders tags after the tags they read, whatever order the files come in', () => {
    const tags = [conditionTag('high', 'stage', 'depth'), conditionTag('stage', 'depth'), conditionTag('depth')];
    expect(dependencyOrder(tags, (t) => tagDependencies(t).map(([n]) => n)).map((t) => t.name)).toEqual(['depth', 'stage', 'high']);
  });

  it('finds cycles, a tag reading itself included', () => {
    expect(tagCycles([conditionTag('a', 'b'), conditionTag('b', 'c'), conditionTag('c', 'a'), conditionTag('d')])).toEqual([['a', 'b', 'c', 'a']]);
    expect(tagCycles([conditionTag('self', 'self')])).toEqual([['self', 'self']]);
    expect(tagCycles([conditionTag('a', 'b'), conditionTag('b'), conditionTag('c', 'a', 'b')])).toEqual([]);
  });
});
