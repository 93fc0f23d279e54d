/**
 * The reference evaluator: a condition tree run by json-rules-engine itself, with nudge's facts and
 * notEqual. The engine evaluates compiled conditions (compile-conditions.ts); this one stays in the
 * product as the definition they are checked against (compile-conditions.differential.test.ts) and as a
 * second opinion when a decision is in doubt. Slow (async, an engine run per evaluation): not for the
 * per-event path.
 */
import { Engine, Operator, type Almanac, type RuleResult } from 'json-rules-engine';
import { tagReferencesOf, type TopLevelCondition } from '../../rules/schema/conditions';
import { parseDuration } from '../../rules/schema/parse-duration';
import { countWithin, secondsSinceLast } from '../state/behavior-state';
import { counterKey, type PropertyFilter } from '../state/counter-plan';
import type { ConditionOutcome, LeafOutcome } from './compile-conditions';
import { CONTEXT_FACT, type EvaluationContext } from './facts';

export class ReferenceConditionEvaluator {
  private readonly engine: Engine;

  constructor(readonly conditions: TopLevelCondition | undefined, name = 'conditions') {
    this.engine = new Engine([], { allowUndefinedFacts: true });
    // A missing value (no such trait, event never seen) fails every comparison, notEqual included;
    // absence is tested with `not`. json-rules-engine's own notEqual would pass on a missing value.
    this.engine.addOperator(new Operator('notEqual', (a: unknown, b: unknown) => a !== b, (value: unknown) => value !== null && value !== undefined));
    registerFacts(this.engine, conditions ? [...new Set(tagReferencesOf(conditions).map(([tag]) => tag))] : []);
    if (conditions) this.engine.addRule({ name, conditions: conditions as never, event: { type: name } });
  }

  async evaluate(ctx: EvaluationContext): Promise<ConditionOutcome> {
    if (!this.conditions) return { passed: true, leaves: [] };
    const { results, failureResults } = await this.engine.run(factsFor(ctx));
    const result = results[0] ?? failureResults[0];
    if (!result) throw new Error('json-rules-engine returned no result for the rule');
    return { passed: results.length > 0, leaves: collectLeaves((result as RuleResult).conditions as unknown as Node) };
  }
}

type Node = { all?: Node[]; any?: Node[]; not?: Node; fact?: string; path?: string; params?: unknown; operator?: string; value?: unknown; factResult?: unknown; result?: boolean };

function collectLeaves(node: Node, out: LeafOutcome[] = []): LeafOutcome[] {
  if (node.all) node.all.forEach((child) => collectLeaves(child, out));
  else if (node.any) node.any.forEach((child) => collectLeaves(child, out));
  else if (node.not) collectLeaves(node.not, out);
  else if (node.fact) {
    out.push({
      fact: node.fact,
      ...(node.path ? { path: node.path } : {}),
      ...(node.params ? { params: node.params } : {}),
      operator: node.operator ?? '',
      value: node.value,
      actual: node.factResult,
      passed: node.result === true,
    });
  }
  return out;
}

const durations = new Map<string, number>();
const durationMs = (text: string) => {
  let value = durations.get(text);
  if (value === undefined) durations.set(text, (value = parseDuration(text)));
  return value;
};

async function contextOf(almanac: Almanac): Promise<EvaluationContext> {
  return (await almanac.factValue(CONTEXT_FACT)) as EvaluationContext;
}

/** `tagNames`: the tags the engine's conditions read, so the `tags` fact computes only those (and what they read). */
function registerFacts(engine: Engine, tagNames: readonly string[]): void {
  engine.addFact('count', async (raw: Record<string, any>, almanac) => {
    const params = raw as { event: string; where?: PropertyFilter; within: string };
    const ctx = await contextOf(almanac);
    return countWithin(ctx.state, counterKey(params.event, params.where), durationMs(params.within), ctx.now);
  });
  engine.addFact('secondsSinceLast', async (raw: Record<string, any>, almanac) => {
    const params = raw as { event: string; where?: PropertyFilter };
    const ctx = await contextOf(almanac);
    return secondsSinceLast(ctx.state, counterKey(params.event, params.where), ctx.before, ctx.now);
  });
  engine.addFact('score', async (raw: Record<string, any>, almanac) => {
    const ctx = await contextOf(almanac);
    return ctx.scores?.scoreOf((raw as { model: string }).model, ctx.state, ctx.now);
  });
  engine.addFact('tags', async (_params: Record<string, any>, almanac) => {
    const ctx = await contextOf(almanac);
    return ctx.tags ? ctx.tags.compute(ctx.state, ctx.now, tagNames) : {};
  });
}

function factsFor(ctx: EvaluationContext): Record<string, unknown> {
  return { [CONTEXT_FACT]: ctx, event: ctx.event ?? undefined, traits: ctx.traits };
}
