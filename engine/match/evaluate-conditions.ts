/**
 * Evaluates one condition tree and reports every leaf's actual value, so callers can explain a decision.
 * The same evaluator serves triggers (engine) and in-journey conditions (activities, simulator), so a
 * condition means the same thing everywhere. The tree is compiled once (compile-conditions.ts); the
 * json-rules-engine evaluator it is checked against is reference-evaluator.ts.
 */
import type { TopLevelCondition } from '../../rules/schema/conditions';
import type { TagValue } from '../../rules/schema/tags';
import { compileConditions, type CompiledConditions, type ConditionOutcome } from './compile-conditions';
import type { EvaluationContext, TagSource } from './facts';

export type { ConditionOutcome, LeafOutcome } from './compile-conditions';

/** A reusable evaluator for one condition tree (build once at load, run per event). */
export class ConditionEvaluator {
  private readonly compiled: CompiledConditions;

  /** Throws ConditionCompileError for a tree that cannot be evaluated. `name` names the tree in errors. */
  constructor(readonly conditions: TopLevelCondition | undefined, readonly name = 'conditions') {
    this.compiled = compileConditions(conditions);
  }

  /** Whether the conditions hold, stopping at the first leaf that decides. */
  matches(ctx: EvaluationContext): boolean {
    return this.compiled.matches(ctx);
  }

  /** Whether they hold, with every leaf's actual value. */
  evaluateSync(ctx: EvaluationContext): ConditionOutcome {
    return this.compiled.explain(ctx);
  }

  /** evaluateSync for callers that are async anyway; also serves a tag source that only computes asynchronously. */
  async evaluate(ctx: EvaluationContext): Promise<ConditionOutcome> {
    if (this.compiled.readsTags && ctx.tags && !ctx.tags.valuesAt) return this.compiled.explain({ ...ctx, tags: fixedTags(await ctx.tags.compute(ctx.state, ctx.now, this.compiled.tagNames)) });
    return this.compiled.explain(ctx);
  }
}

/** Tag values computed beforehand, served synchronously. */
const fixedTags = (values: Record<string, TagValue>): TagSource => ({ compute: async () => values, valuesAt: () => values });

const cache = new Map<string, ConditionEvaluator>();

/** Evaluates an ad-hoc tree (branch / exit / wait-for conditions), caching the compiled evaluator. */
export async function evaluateConditions(conditions: TopLevelCondition, ctx: EvaluationContext): Promise<ConditionOutcome> {
  return evaluatorFor(conditions).evaluate(ctx);
}

/** The cached compiled evaluator of an ad-hoc tree, keyed by its JSON. */
export function evaluatorFor(conditions: TopLevelCondition): ConditionEvaluator {
  const key = JSON.stringify(conditions);
  let evaluator = cache.get(key);
  if (!evaluator) {
    if (cache.size > 1000) cache.clear();
    cache.set(key, (evaluator = new ConditionEvaluator(conditions)));
  }
  return evaluator;
}
