/**
 * A condition tree compiled once, when rules load, into plain synchronous closures: the engine's and the
 * simulator's per-event cost is a few property reads and comparisons instead of a json-rules-engine run.
 * The meaning is json-rules-engine 7.3.1's with nudge's facts and notEqual (operators.ts, json-path.ts,
 * facts.ts), checked against the reference evaluator by compile-conditions.differential.test.ts.
 *
 * `matches` stops at the first child that decides an all / any. `explain` evaluates every leaf, as
 * json-rules-engine does (it runs all children of an all / any of one priority, and every nudge condition
 * has the default priority), and reports each in tree order with its actual value. One consequence: a
 * comparison that throws on hostile data (`in` with a number as its value, `lessThan` on an object whose
 * toString is not a function) throws from `explain` exactly when json-rules-engine would, while `matches`
 * throws only if it reaches that leaf.
 *
 * One deliberate difference: json-rules-engine runs a deep copy of the tree (the `clone` package), which
 * drops keys named like Object.prototype's members ("toString", "constructor", …) and turns "__proto__"
 * into a prototype, in values and in count / secondsSinceLast `where` filters. The compiled evaluator reads
 * the tree as written, as the counter plan does (so a `where: {"constructor": "x"}` counts the counter
 * the plan keeps, where json-rules-engine would read the unfiltered one).
 */
import { tagReferencesOf, type TopLevelCondition } from '../../rules/schema/conditions';
import type { TagValue } from '../../rules/schema/tags';
import { ConditionCompileError } from './condition-compile-error';
import { compileFact, type EvaluationContext, type FactReader, type TagReader } from './facts';
import { isOperatorName, OPERATORS } from './operators';
import { SyncTagsUnavailableError } from './sync-tags-unavailable-error';

export interface LeafOutcome {
  fact: string;
  path?: string;
  params?: unknown;
  operator: string;
  value: unknown;
  actual: unknown;
  passed: boolean;
}

export interface ConditionOutcome {
  passed: boolean;
  leaves: LeafOutcome[];
}

export interface CompiledConditions {
  /** Whether the conditions hold (no tree: always). Allocates nothing unless tags must be computed. */
  matches(ctx: EvaluationContext): boolean;
  /** Whether they hold, with every leaf's actual value and result in tree order. */
  explain(ctx: EvaluationContext): ConditionOutcome;
  /** Whether the tree reads the `tags` fact (then ctx.tags must have valuesAt, or evaluate asynchronously). */
  readonly readsTags: boolean;
  /** The tags the `tags` fact computes (with what they read). */
  readonly tagNames: readonly string[];
}

interface CompiledNode {
  test(ctx: EvaluationContext, tags: TagReader): boolean;
  report(ctx: EvaluationContext, tags: TagReader, out: LeafOutcome[]): boolean;
}

type Path = (string | number)[];

const NO_TAG_VALUES: Record<string, TagValue> = Object.freeze({});

/**
 * `tagNames`: the tags the `tags` fact computes; by default those the tree's leaves read (like the
 * reference evaluator). Throws ConditionCompileError for a tree json-rules-engine would reject.
 */
export function compileConditions(tree: TopLevelCondition | undefined, tagNames?: readonly string[]): CompiledConditions {
  if (tree === undefined) return ALWAYS;
  const unit = { readsTags: false };
  const raw = tree as unknown as Record<string, unknown>;
  if (!isObject(raw) || !['all', 'any', 'not'].some((key) => Object.hasOwn(raw, key))) throw new ConditionCompileError([], 'the root must be an "all", "any" or "not"');
  const root = compileNode(raw, [], unit);
  // Frozen, so the tag set may remember what these names need (tags.ts).
  const names = Object.freeze([...(tagNames ?? new Set(tagReferencesOf(tree).map(([name]) => name)))]);
  if (!unit.readsTags) {
    const none: TagReader = () => NO_TAG_VALUES;
    return {
      readsTags: false,
      tagNames: names,
      matches: (ctx) => root.test(ctx, none),
      explain(ctx) {
        const leaves: LeafOutcome[] = [];
        return { passed: root.report(ctx, none, leaves), leaves };
      },
    };
  }
  // The tag values of the evaluation under way, computed on first read. An evaluation saves and restores
  // the slot rather than allocating one, so a nested evaluation of the same tree cannot see another's.
  let current: Record<string, TagValue> | undefined;
  const readTags: TagReader = (ctx) => (current ??= tagValuesOf(ctx, names));
  return {
    readsTags: true,
    tagNames: names,
    matches(ctx) {
      const outer = current;
      current = undefined;
      try {
        return root.test(ctx, readTags);
      } finally {
        current = outer;
      }
    },
    explain(ctx) {
      const outer = current;
      current = undefined;
      try {
        const leaves: LeafOutcome[] = [];
        return { passed: root.report(ctx, readTags, leaves), leaves };
      } finally {
        current = outer;
      }
    },
  };
}

const ALWAYS: CompiledConditions = { readsTags: false, tagNames: [], matches: () => true, explain: () => ({ passed: true, leaves: [] }) };

function tagValuesOf(ctx: EvaluationContext, names: readonly string[]): Record<string, TagValue> {
  const source = ctx.tags;
  if (!source) return NO_TAG_VALUES;
  if (!source.valuesAt) throw new SyncTagsUnavailableError();
  return source.valuesAt(ctx.state, ctx.now, names);
}

/** json-rules-engine's order of precedence when reading a node: any, all, not, else a leaf. */
function compileNode(node: unknown, at: Path, unit: { readsTags: boolean }): CompiledNode {
  if (!isObject(node)) throw new ConditionCompileError(at, 'a condition must be an object');
  if (Object.hasOwn(node, 'any')) return compileAny(childrenOf(node, 'any', at).map((child, i) => compileNode(child, [...at, 'any', i], unit)));
  if (Object.hasOwn(node, 'all')) return compileAll(childrenOf(node, 'all', at).map((child, i) => compileNode(child, [...at, 'all', i], unit)));
  if (Object.hasOwn(node, 'not')) {
    if (Array.isArray(node.not)) throw new ConditionCompileError([...at, 'not'], '"not" takes one condition, not an array');
    const child = compileNode(node.not, [...at, 'not'], unit);
    return { test: (ctx, tags) => !child.test(ctx, tags), report: (ctx, tags, out) => !child.report(ctx, tags, out) };
  }
  return compileLeaf(node, at, unit);
}

function childrenOf(node: Record<string, unknown>, key: 'all' | 'any', at: Path): unknown[] {
  const children = node[key];
  if (!Array.isArray(children)) throw new ConditionCompileError([...at, key], `"${key}" takes an array of conditions`);
  return children;
}

// An empty all / any holds in json-rules-engine (the schema requires at least one child anyway).
function compileAll(children: CompiledNode[]): CompiledNode {
  const [only] = children;
  return {
    test:
      children.length === 1
        ? only!.test
        : (ctx, tags) => {
            for (const child of children) if (!child.test(ctx, tags)) return false;
            return true;
          },
    report(ctx, tags, out) {
      let passed = true;
      for (const child of children) if (!child.report(ctx, tags, out)) passed = false;
      return passed;
    },
  };
}

function compileAny(children: CompiledNode[]): CompiledNode {
  const [only] = children;
  return {
    test:
      children.length <= 1
        ? (only?.test ?? (() => true))
        : (ctx, tags) => {
            for (const child of children) if (child.test(ctx, tags)) return true;
            return false;
          },
    report(ctx, tags, out) {
      let passed = children.length === 0;
      for (const child of children) if (child.report(ctx, tags, out)) passed = true;
      return passed;
    },
  };
}

function compileLeaf(leaf: Record<string, unknown>, at: Path, unit: { readsTags: boolean }): CompiledNode {
  const { fact, operator, path, params, value } = leaf;
  if (typeof fact !== 'string' || !fact) throw new ConditionCompileError([...at, 'fact'], 'a leaf needs a fact');
  if (!isOperatorName(operator)) throw new ConditionCompileError([...at, 'operator'], `unknown operator ${JSON.stringify(operator)}`);
  if (!Object.hasOwn(leaf, 'value')) throw new ConditionCompileError(at, 'a leaf needs a value');
  const compare = OPERATORS[operator];
  const read = compileFact(fact, params, path, at);
  if (fact === 'tags') unit.readsTags = true;
  const outcome = outcomeOf(fact, path as string | undefined, params, operator, value);
  if (isFactReference(value)) {
    // json-rules-engine resolves a value {"fact": …} as a fact too ("the event's plan equals the trait").
    const readValue: FactReader = compileFact(value.fact, value.params, value.path, [...at, 'value']);
    if (value.fact === 'tags') unit.readsTags = true;
    return {
      test: (ctx, tags) => compare(read(ctx, tags), readValue(ctx, tags)),
      report(ctx, tags, out) {
        const actual = read(ctx, tags);
        const passed = compare(actual, readValue(ctx, tags));
        out.push(outcome(actual, passed));
        return passed;
      },
    };
  }
  return {
    test: (ctx, tags) => compare(read(ctx, tags), value),
    report(ctx, tags, out) {
      const actual = read(ctx, tags);
      const passed = compare(actual, value);
      out.push(outcome(actual, passed));
      return passed;
    },
  };
}

/**
 * What the explanation shows of a leaf, as the reference evaluator reports it (path and params only when
 * set). One literal per shape: objects built by spreading are several times slower to make, and
 * decisions report every leaf of every candidate rule.
 */
function outcomeOf(fact: string, path: string | undefined, params: unknown, operator: string, value: unknown): (actual: unknown, passed: boolean) => LeafOutcome {
  if (path && params) return (actual, passed) => ({ fact, path, params, operator, value, actual, passed });
  if (path) return (actual, passed) => ({ fact, path, operator, value, actual, passed });
  if (params) return (actual, passed) => ({ fact, params, operator, value, actual, passed });
  return (actual, passed) => ({ fact, operator, value, actual, passed });
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object';

const isFactReference = (value: unknown): value is { fact: unknown; params?: unknown; path?: unknown } => isObject(value) && Object.hasOwn(value, 'fact');
