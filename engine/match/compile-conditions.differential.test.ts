/**
 * The compiled evaluator against json-rules-engine (the reference evaluator), on generated condition
 * trees and facts: for every pair, `matches`, `explain().passed` and every leaf (its actual value and
 * result, in tree order) are json-rules-engine's, and where json-rules-engine throws (an `in` over a
 * number, a numeric comparison on an object whose toString is not a function) `explain` throws too.
 * Seeded: the same pairs every run; a failure prints the seed and the shrunk counterexample.
 * Replay another seed with NUDGE_FC_SEED=<n>, run more with NUDGE_FC_RUNS=<n>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NUMERIC_OPERATORS, VALUE_OPERATORS, type TopLevelCondition } from '../../rules/schema/conditions';
import { compileConditions, type ConditionOutcome } from './compile-conditions';
import { conditionTree, evaluationContext } from './compile-conditions.arbitraries';
import type { EvaluationContext } from './facts';
import { ReferenceConditionEvaluator } from './reference-evaluator';

const SEED = Number(process.env.NUDGE_FC_SEED ?? 20_260_110);
const RUNS = Number(process.env.NUDGE_FC_RUNS ?? 10_000);

type Result = { threw: false; outcome: ConditionOutcome } | { threw: true; error: unknown };

async function reference(tree: TopLevelCondition, ctx: EvaluationContext): Promise<Result> {
  try {
    return { threw: false, outcome: await new ReferenceConditionEvaluator(tree).evaluate(ctx) };
  } catch (error) {
    return { threw: true, error };
  }
}

function attempt<T>(run: () => T): { threw: false; value: T } | { threw: true } {
  try {
    return { threw: false, value: run() };
  } catch {
    return { threw: true };
  }
}

const stats = { pairs: 0, passed: 0, threw: 0, leaves: new Map<string, { passed: number; failed: number }>() };

async function agree(tree: TopLevelCondition, ctx: EvaluationContext): Promise<void> {
  const expected = await reference(tree, ctx);
  const compiled = compileConditions(tree);
  const explained = attempt(() => compiled.explain(ctx));
  stats.pairs++;
  expect(explained.threw).toBe(expected.threw);
  if (expected.threw || explained.threw) return void stats.threw++;
  // matches may stop before a throwing leaf, so it is compared only where json-rules-engine answers.
  expect(compiled.matches(ctx)).toBe(expected.outcome.passed);
  expect(explained.value.passed).toBe(expected.outcome.passed);
  expect(explained.value.leaves).toStrictEqual(expected.outcome.leaves);
  stats.passed += expected.outcome.passed ? 1 : 0;
  for (const leaf of expected.outcome.leaves) {
    const key = `${leaf.fact} ${leaf.operator}`;
    const counts = stats.leaves.get(key) ?? { passed: 0, failed: 0 };
    counts[leaf.passed ? 'passed' : 'failed']++;
    stats.leaves.set(key, counts);
  }
}

describe('compiled conditions agree with json-rules-engine', () => {
  it(`on ${RUNS} generated (condition tree, facts) pairs, seed ${SEED}`, async () => {
    try {
      await fc.assert(fc.asyncProperty(conditionTree, evaluationContext, agree), { seed: SEED, numRuns: RUNS });
    } catch (error) {
      throw new Error(`differential test failed with seed ${SEED} (replay: NUDGE_FC_SEED=${SEED}):\n${(error as Error).message}`, { cause: error });
    }
    // The generators must keep producing both outcomes and some throwing cases, or the test proves little.
    if (process.env.NUDGE_FC_STATS) console.log({ ...stats, leaves: Object.fromEntries(stats.leaves) });
    expect(stats.pairs).toBeGreaterThanOrEqual(RUNS);
    expect(stats.passed).toBeGreaterThan(RUNS / 10);
    expect(stats.pairs - stats.threw - stats.passed).toBeGreaterThan(RUNS / 10);
    expect(stats.threw).toBeGreaterThan(0);
    // Every fact with every operator it takes, seen both passing and failing (a tag is never an array,
    // so a tag never contains anything).
    const kinds = [...(['event', 'traits', 'tags'] as const).flatMap((fact) => VALUE_OPERATORS.map((op) => `${fact} ${op}`)), ...(['count', 'secondsSinceLast'] as const).flatMap((fact) => NUMERIC_OPERATORS.map((op) => `${fact} ${op}`))];
    const neverPass = new Set(['tags contains', 'tags doesNotContain']);
    const unseen = kinds.filter((kind) => !((stats.leaves.get(kind)?.passed || neverPass.has(kind)) && stats.leaves.get(kind)?.failed));
    expect(unseen).toEqual([]);
  }, 120_000);
});
