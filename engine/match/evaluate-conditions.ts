/**
 * Evaluates one condition tree with json-rules-engine and reports every leaf's actual value, so callers
 * can explain a decision. The same function serves triggers (engine) and in-journey conditions
 * (activities, simulator), so a condition means the same thing everywhere.
 */
import { Engine, Operator, type RuleResult } from 'json-rules-engine';
import { tagReferencesOf, type TopLevelCondition } from '../../rules/schema/conditions';
import { factsFor, registerFacts, type EvaluationContext } from './facts';

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

/** A reusable evaluator for one condition tree (build once at load, run per event). */
export class ConditionEvaluator {
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

const cache = new Map<string, ConditionEvaluator>();

/** Evaluates an ad-hoc tree (branch / exit / wait-for conditions), caching the compiled evaluator. */
export async function evaluateConditions(conditions: TopLevelCondition, ctx: EvaluationContext): Promise<ConditionOutcome> {
  const key = JSON.stringify(conditions);
  let evaluator = cache.get(key);
  if (!evaluator) {
    if (cache.size > 1000) cache.clear();
    cache.set(key, (evaluator = new ConditionEvaluator(conditions)));
  }
  return evaluator.evaluate(ctx);
}
