/**
 * The facts rule conditions can use, registered on json-rules-engine engines: `event` and `traits` are
 * plain values; `count` and `secondsSinceLast` are computed from the user's behavior state; `tags` are
 * computed from it by the tag set (tags.ts), only the tags the conditions read.
 */
import type { Almanac, Engine } from 'json-rules-engine';
import { parseDuration } from '../../rules/schema/parse-duration';
import type { TagValue } from '../../rules/schema/tags';
import { countWithin, secondsSinceLast, type UserState } from '../state/behavior-state';
import { counterKey, type PropertyFilter } from '../state/counter-plan';

/** Everything one evaluation needs; passed to engine.run as facts. */
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
}

/** Tag values of a state at a time (the compiled tag set, tags.ts). */
export interface TagSource {
  compute(state: UserState, now: number, only?: readonly string[]): Promise<Record<string, TagValue>>;
}

const CONTEXT_FACT = 'nudgeContext';
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
export function registerFacts(engine: Engine, tagNames: readonly string[] = []): void {
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
  engine.addFact('tags', async (_params: Record<string, any>, almanac) => {
    const ctx = await contextOf(almanac);
    return ctx.tags ? ctx.tags.compute(ctx.state, ctx.now, tagNames) : {};
  });
}

export function factsFor(ctx: EvaluationContext): Record<string, unknown> {
  return { [CONTEXT_FACT]: ctx, event: ctx.event ?? undefined, traits: ctx.traits };
}
