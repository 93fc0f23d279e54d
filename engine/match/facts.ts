/**
 * The facts rule conditions can use, compiled once per leaf: `event` and `traits` are plain values;
 * `count` and `secondsSinceLast` are computed from the user's behavior state (their counter key and
 * window worked out at compile time); `tags` are computed from it by the tag set (tags.ts), only the
 * tags the conditions read, at most once per evaluation; `score` by the loaded models (model-scores.ts) from
 * the state as of `now`. The reference evaluator
 * (reference-evaluator.ts) registers the same facts on json-rules-engine.
 */
import { parseDuration } from '../../rules/schema/parse-duration';
import type { TagValue } from '../../rules/schema/tags';
import { countWithin, secondsSinceLast, type UserState } from '../state/behavior-state';
import { counterKey } from '../state/counter-plan';
import { ConditionCompileError } from './condition-compile-error';
import { compilePath } from './json-path';
import type { ScoreSource } from './model-scores';

/** Everything one evaluation needs. */
export interface EvaluationContext {
  /** The event under evaluation (trigger, or the event a journey received); null for branch steps. */
  event: Record<string, unknown> | null;
  traits: Record<string, unknown>;
  state: UserState;
  /** Windows end here (ms). For triggers: the user's clock; in journeys: the evaluation time. */
  now: number;
  /** secondsSinceLast looks at occurrences strictly before this time (the evaluated event's time). */
  before: number;
  /** Computes the `tags` fact; absent: no tags are defined, so every tag comparison fails. */
  tags?: TagSource;
  /** Computes the `score` fact (trained models, model-scores.ts); absent: no model is loaded, every score is undefined. */
  scores?: ScoreSource;
}

/** Tag values of a state at a time (the compiled tag set, tags.ts). */
export interface TagSource {
  compute(state: UserState, now: number, only?: readonly string[]): Promise<Record<string, TagValue>>;
  /** The same values, synchronously; a source without it can only serve the async `evaluate`. */
  valuesAt?(state: UserState, now: number, only?: readonly string[]): Record<string, TagValue>;
}

/** The context the reference evaluator passes json-rules-engine as a fact, so a value may refer to it. */
export const CONTEXT_FACT = 'nudgeContext';

/** The tag values of the context's state; the compiled evaluator computes them at most once per evaluation. */
export type TagReader = (ctx: EvaluationContext) => Record<string, TagValue>;

/** A fact's value (after its path) in one evaluation. */
export type FactReader = (ctx: EvaluationContext, tags: TagReader) => unknown;

/**
 * Compiles a fact read — a leaf's, or a fact reference used as a leaf's `value` ({"fact": "traits",
 * "path": "$.plan"}), which json-rules-engine resolves too. An unknown fact reads undefined, as with
 * json-rules-engine's allowUndefinedFacts. `at`: where the read is in the tree, for errors.
 */
export function compileFact(fact: unknown, params: unknown, path: unknown, at: (string | number)[]): FactReader {
  const read = compileBareFact(fact, params ?? {}, at);
  const resolve = compilePath(path, [...at, 'path']);
  return resolve ? (ctx, tags) => resolve(read(ctx, tags)) : read;
}

function compileBareFact(fact: unknown, params: unknown, at: (string | number)[]): FactReader {
  switch (fact) {
    // json-rules-engine receives `event: ctx.event ?? undefined`: a branch step's null event is undefined.
    case 'event': return (ctx) => ctx.event ?? undefined;
    case 'traits': return (ctx) => ctx.traits;
    case 'tags': return (ctx, tags) => tags(ctx);
    case CONTEXT_FACT: return (ctx) => ctx;
    case 'count': {
      const { event, where, within } = paramsOf(params, at);
      const key = counterKey(event as string, where as never);
      const windowMs = durationAt(within, at);
      return (ctx) => countWithin(ctx.state, key, windowMs, ctx.now);
    }
    case 'secondsSinceLast': {
      const { event, where } = paramsOf(params, at);
      const key = counterKey(event as string, where as never);
      return (ctx) => secondsSinceLast(ctx.state, key, ctx.before, ctx.now);
    }
    case 'score': {
      const { model } = paramsOf(params, at);
      return (ctx) => ctx.scores?.scoreOf(model as string, ctx.state, ctx.now);
    }
    default: return () => undefined;
  }
}

function paramsOf(params: unknown, at: (string | number)[]): Record<string, unknown> {
  if (typeof params !== 'object' || params === null) throw new ConditionCompileError([...at, 'params'], 'params must be an object');
  return params as Record<string, unknown>;
}

function durationAt(within: unknown, at: (string | number)[]): number {
  try {
    return parseDuration(within as string);
  } catch (error) {
    throw new ConditionCompileError([...at, 'params', 'within'], (error as Error).message);
  }
}
