/**
 * Test support for compile-conditions.differential.test.ts: fast-check arbitraries for condition trees
 * and the facts they are evaluated against, drawn from small vocabularies so that paths, counters and
 * tags often exist and values often collide (an equal that never passes tests nothing). Values mix types:
 * numbers, numeric strings ("12abc", " 3", "Infinity"), strings, booleans, null, arrays, objects (some with
 * a non-function toString, on which the numeric validator throws) and fact references in `value`.
 */
import fc from 'fast-check';
import { NUMERIC_OPERATORS, VALUE_OPERATORS, type Condition, type TopLevelCondition } from '../../rules/schema/conditions';
import { countOf, ruleOf, sinceLast, tagOf } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { applyEvent, emptyState } from '../state/behavior-state';
import { buildCounterPlan } from '../state/counter-plan';
import type { EvaluationContext, TagSource } from './facts';
import { ScoreSet, type ScoreSource } from './model-scores';

const NO_METRICS = { rows: 0, positives: 0, auc: 0.5, logLoss: 0, calibrationError: 0, deciles: [], roc: [] };
import { TagSet } from './tags';

export const T0 = Date.parse('2026-01-10T12:00:00.000Z');
const MINUTE = 60_000;
const EVENTS = ['page_viewed', 'signed_up', 'order_completed'] as const;
const WHERES = [undefined, { page: 'pricing' }, { page: 'docs' }, { page: 'pricing', plan: 'team' }, { plan: 1 }] as const;
const WINDOWS = ['90s', '1m', '10m', '1h', '1d', '7d'] as const;
const KEYS = ['page', 'plan', 'items', 'a', 'b', '0', 'length', 'n-dash', '__proto__', 'toString'] as const;

const TAG_SET = new TagSet([
  tagOf({ name: 'visits', kind: 'count', event: 'page_viewed', within: '1h' }),
  tagOf({ name: 'stage', kind: 'stages', stages: [{ name: 'visited', conditions: { all: [countOf('page_viewed', '1d', 'greaterThan', 0)] } }, { name: 'pricing', conditions: { all: [countOf('page_viewed', '1d', 'greaterThan', 0, { page: 'pricing' })] } }] }),
  tagOf({ name: 'hot', kind: 'condition', conditions: { all: [{ fact: 'tags', path: '$.stage', operator: 'equal', value: 'pricing' }, { fact: 'tags', path: '$.visits', operator: 'greaterThanInclusive', value: 2 }] } }),
  tagOf({ name: 'team', kind: 'condition', conditions: { any: [{ fact: 'traits', path: '$.plan', operator: 'in', value: ['team', 'business'] }, { not: sinceLast('signed_up', 'greaterThan', 600) }] } }),
]);

/** The tag set, printed by name in a counterexample. */
export const TAGS: TagSource = { compute: (...args) => TAG_SET.compute(...args), valuesAt: (...args) => TAG_SET.valuesAt(...args), [fc.toStringMethod]: () => 'TAGS' } as TagSource;

/** A trained model over the same vocabulary (its counters are among the plan's), for the `score` fact. */
const SCORE_SET = new ScoreSet([
  {
    format: 1, id: 'intent', version: 1, trainedAt: '2026-01-01T00:00:00.000Z', label: { event: 'order_completed', within: '1d' }, algorithm: 'hand-made',
    features: [
      { name: 'pricing_1d', kind: 'count', event: 'page_viewed', where: { page: 'pricing' }, within: '1d', max: 100 },
      { name: 'since_view', kind: 'recency', event: 'page_viewed', cap: '1d' },
      { name: 'plan', kind: 'trait', trait: 'plan', categories: ['team'] },
      { name: 'visits', kind: 'tag', tag: 'visits' },
    ],
    columns: ['pricing_1d', 'since_view', 'plan=team', 'visits'],
    intercept: -0.5, weights: [1.2, -0.8, 0.6, 0.4], mean: [0.5, 0.3, 0.2, 1], scale: [1, 0.4, 0.5, 1.5],
    training: { train: { from: '', to: '', snapshots: 0 }, evaluate: { from: '', to: '', snapshots: 0 }, source: 'hand-made' },
    metrics: { train: NO_METRICS, evaluate: NO_METRICS },
  },
], TAG_SET);

/** The models, printed by name in a counterexample. */
export const SCORES: ScoreSource = { scoreOf: (...args) => SCORE_SET.scoreOf(...args), [fc.toStringMethod]: () => 'SCORES' } as ScoreSource;

// Every counter the vocabulary can name, kept whole (a comparison with 1000 needs them all).
const PLAN = buildCounterPlan(
  [ruleOf({ trigger: { event: 'any', conditions: { all: EVENTS.flatMap((event) => WHERES.flatMap((where) => [countOf(event, '1d', 'greaterThan', 1000, where), sinceLast(event, 'greaterThan', 0, where)])) } } })],
  [...TAG_SET.tags],
);

const scalar = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, -1, 0.5, 10, 1e21, -0),
  fc.constantFrom('0', '1', '2', '10', '1.5', ' 3', '12abc', '', 'abc', 'b', 'pricing', 'docs', 'team', 'Infinity', 'NaN', 'page_viewed', 'visited'),
  fc.boolean(),
  fc.constant(null),
);

/** JSON-like data (as trackers send it), over these keys; objects are built with own properties, "__proto__" included. */
const dataOver = (keys: readonly string[]): fc.Arbitrary<unknown> =>
  fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'data' },
      { arbitrary: scalar, weight: 4 },
      // arrays of scalars, for contains to find something in
      { arbitrary: fc.array(scalar, { minLength: 1, maxLength: 4 }), weight: 2 },
      fc.array(tie('value'), { maxLength: 3 }),
      fc.array(fc.tuple(fc.constantFrom(...keys), tie('value')), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
    ),
  })).value;
const data = dataOver(KEYS);
// json-rules-engine clones the tree before each run, and its clone (the `clone` package) drops keys named
// like Object.prototype's members and turns "__proto__" into a prototype; the compiled evaluator reads the
// tree as written (as the counter plan does). Values in trees leave those keys out; facts keep them.
const treeData = dataOver(KEYS.filter((key) => key !== '__proto__' && key !== 'toString'));

const record = (keys: readonly string[], values = data) => fc.array(fc.tuple(fc.constantFrom(...keys), values), { maxLength: 5 }).map((entries) => Object.fromEntries(entries) as Record<string, unknown>);
/** Properties or traits: often a scalar `page` / `plan` and a list of scalars `items`, then anything. */
const facts = fc
  .tuple(fc.option(scalar), fc.option(scalar), fc.option(fc.array(scalar, { minLength: 1, maxLength: 4 })), record(KEYS))
  .map(([page, plan, items, rest]) => ({ ...(page !== null ? { page } : {}), ...(plan !== null ? { plan } : {}), ...(items ? { items } : {}), ...rest }));

const FACT_REFERENCES = [
  { fact: 'traits', path: '$.plan' },
  { fact: 'event', path: '$.properties.page' },
  { fact: 'event' },
  { fact: 'count', params: { event: 'page_viewed', within: '1d' } },
  { fact: 'secondsSinceLast', params: { event: 'page_viewed' } },
  { fact: 'tags', path: '$.visits' },
  { fact: 'score', params: { model: 'intent' } },
  { fact: 'nudgeContext', path: '$.now' },
  { fact: 'no_such_fact' },
];

/** A condition value, mostly of the kinds the operator is meant for (an `in` over a number throws). */
function valueFor(operator: string): fc.Arbitrary<unknown> {
  const reference = fc.constantFrom(...FACT_REFERENCES);
  if (operator === 'in' || operator === 'notIn') return fc.oneof({ arbitrary: fc.array(scalar, { maxLength: 4 }), weight: 6 }, { arbitrary: fc.constantFrom('pricing docs', 'abc', '12', ''), weight: 2 }, reference, scalar);
  return fc.oneof({ arbitrary: scalar, weight: 8 }, fc.array(scalar, { maxLength: 2 }), record(['a', 'b'], treeData), reference);
}

const valueLeaf = (fact: 'event' | 'traits' | 'tags', paths: readonly string[]) =>
  fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...VALUE_OPERATORS)).chain(([path, operator]) => valueFor(operator).map((value) => ({ fact, path, operator, value }) as Condition));

// The paths most facts have appear twice, so comparisons often meet a value.
const EVENT_PATHS = ['$.properties.page', '$.properties.items', '$.properties.plan', '$', '$.event', '$.properties', '$.properties.page', '$.properties.plan', '$.properties.items', '$.properties.items[0]', '$.properties.items[1]', '$.properties.items[01]', '$.properties.items.length', '$.properties.a.b', '$.properties.a[0]', '$.properties.page.length', '$.properties.page[0]', '$.properties.n-dash', '$.properties.__proto__', '$.properties.constructor', '$.properties.toString', '$.missing', '$.missing.deeper', '$[0]'];
const TRAIT_PATHS = ['$.plan', '$.items', '$', '$.plan', '$.items', '$.items[0]', '$.a', '$.a.b', '$.a.length', '$.length', '$.plan.length', '$.missing', '$[0]', '$.__proto__'];
const TAG_PATHS = ['$.visits', '$.stage', '$.hot', '$.team', '$.missing_tag'];

const counterParams = fc.record({ event: fc.constantFrom(...EVENTS), where: fc.constantFrom(...WHERES) }).map(({ event, where }) => ({ event, ...(where ? { where } : {}) }));
const countLeaf = fc
  .record({ params: counterParams, within: fc.constantFrom(...WINDOWS), operator: fc.constantFrom(...NUMERIC_OPERATORS), value: fc.integer({ min: 0, max: 4 }) })
  .map(({ params, within, operator, value }) => ({ fact: 'count', params: { ...params, within }, operator, value }) as Condition);
const sinceLastLeaf = fc
  .record({ params: counterParams, operator: fc.constantFrom(...NUMERIC_OPERATORS), value: fc.constantFrom(0, 30, 60, 90, 600, 3600, 86_400) })
  .map((leaf) => ({ fact: 'secondsSinceLast', ...leaf }) as Condition);

const scoreLeaf = fc
  .record({ model: fc.constantFrom('intent', 'intent', 'no_such_model'), operator: fc.constantFrom(...NUMERIC_OPERATORS), value: fc.constantFrom(0, 0.1, 0.5, 0.7, 0.9, 1) })
  .map(({ model, operator, value }) => ({ fact: 'score', params: { model }, operator, value }) as Condition);

const leaf = fc.oneof(valueLeaf('event', EVENT_PATHS), valueLeaf('traits', TRAIT_PATHS), valueLeaf('tags', TAG_PATHS), countLeaf, sinceLastLeaf, scoreLeaf);

const nodes = fc.letrec<{ node: Condition; all: Condition; any: Condition; not: Condition }>((tie) => ({
  node: fc.oneof({ maxDepth: 3, depthIdentifier: 'tree', withCrossShrink: true }, { arbitrary: leaf, weight: 3 }, tie('all'), tie('any'), tie('not')),
  all: fc.array(tie('node'), { minLength: 1, maxLength: 4 }).map((all) => ({ all })),
  any: fc.array(tie('node'), { minLength: 1, maxLength: 4 }).map((any) => ({ any })),
  not: tie('node').map((not) => ({ not })),
}));

export const conditionTree: fc.Arbitrary<TopLevelCondition> = fc.oneof(nodes.all, nodes.all, nodes.any, nodes.not) as fc.Arbitrary<TopLevelCondition>;

const historyEvent = fc.record({ name: fc.constantFrom(...EVENTS), ago: fc.oneof(fc.constantFrom(0, 1, 2, 10, 11, 60, 70, 1440), fc.integer({ min: 0, max: 2 * 24 * 60 })), page: fc.constantFrom('pricing', 'docs', undefined), plan: fc.constantFrom('team', 1, undefined) });

/** A user's state (from a history of events), traits, the evaluated event (or none) and the tag set (or none). */
export const evaluationContext: fc.Arbitrary<EvaluationContext> = fc
  .record({
    history: fc.array(historyEvent, { maxLength: 8 }),
    traits: facts,
    event: fc.option(fc.record({ event: fc.constantFrom(...EVENTS), properties: fc.oneof({ arbitrary: facts, weight: 6 }, data) }), { freq: 8 }),
    later: fc.constantFrom(0, 0, 1, 30_000, 45 * MINUTE),
    withTags: fc.boolean(), // else no tag set: every tag comparison fails
    withScores: fc.boolean(), // else no models: every score comparison fails
  })
  .map(({ history, traits, event, later, withTags, withScores }) => {
    const events = history
      .map(({ name, ago, page, plan }, i): EventEnvelope => ({ type: 'track', event: name, userId: 'u1', messageId: `m${i}`, timestamp: new Date(T0 - ago * MINUTE).toISOString(), properties: { ...(page ? { page } : {}), ...(plan !== undefined ? { plan } : {}) }, context: {} }))
      .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    const state = events.reduce((s, e, i) => applyEvent(s, e, i + 1, PLAN), { ...emptyState('u1'), traits });
    const at = events.length ? Date.parse(events.at(-1)!.timestamp) : T0;
    const fact = event ? { type: 'track', userId: 'u1', messageId: 'evaluated', timestamp: new Date(at).toISOString(), ...event } : null;
    return { event: fact, traits: state.traits, state, now: Math.max(state.clock, at) + later, before: at, ...(withTags ? { tags: TAGS } : {}), ...(withScores ? { scores: SCORES } : {}) };
  });
