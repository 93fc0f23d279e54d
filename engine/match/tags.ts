/**
 * Behavior tags computed from a user's state at a time: a deterministic function of (tag definitions,
 * state, now), evaluated whenever a tag is read — by a rule condition (the `tags` fact), a template
 * ({{ tags.* }}), `nudge profile` or `nudge export`. Nothing is stored per tag; the counters and
 * session records the tags read are kept by the counter plan. Conditions inside tags are evaluated by
 * the same evaluator as rule conditions, with the facts traits, count, secondsSinceLast (up to and
 * including `now`) and tags (the tags they read, computed first).
 */
import { parseDuration } from '../../rules/schema/parse-duration';
import { dependencyOrder, tagDependencies, type Tag, type TagValue } from '../../rules/schema/tags';
import { countWithin, type UserState } from '../state/behavior-state';
import { counterKey, sessionKey } from '../state/counter-plan';
import { distinctInSession } from '../state/sessions';
import { compileConditions } from './compile-conditions';
import type { EvaluationContext, TagSource } from './facts';

export type TagValues = Record<string, TagValue>;

interface CompiledTag {
  tag: Tag;
  dependencies: string[];
  /** `ctx`: the tag's context (no event, now + 1 as `before`), its tags those computed so far. */
  value(ctx: EvaluationContext): TagValue;
}

/**
 * The tags computed so far, as the tag source of the tags that read them. A class, not an object of
 * arrow functions: under tsx every such function made per call also costs a defineProperty of its name.
 */
class ComputedSoFar implements TagSource {
  constructor(private readonly values: TagValues) {}
  async compute(): Promise<TagValues> {
    return this.values;
  }
  valuesAt(): TagValues {
    return this.values;
  }
}

/** A tag set compiled once (durations parsed, conditions compiled, dependency order fixed). */
export class TagSet implements TagSource {
  readonly names: readonly string[];
  private readonly ordered: CompiledTag[];
  private readonly byName: Map<string, CompiledTag>;
  /** A frozen `only` (compiled conditions pass one per tree) has its dependency closure worked out once. */
  private readonly closures = new WeakMap<readonly string[], Set<string>>();

  constructor(readonly tags: readonly Tag[] = []) {
    const compiled = tags.map(compile);
    this.ordered = dependencyOrder(compiled.map((c) => ({ ...c, name: c.tag.name })), (c) => c.dependencies);
    this.byName = new Map(this.ordered.map((c) => [c.tag.name, c]));
    this.names = tags.map((tag) => tag.name);
  }

  /** The values of `only` (and of the tags they read), or of every tag, in the order of the tag files. Unknown names are left out. */
  valuesAt(state: UserState, now: number, only?: readonly string[]): TagValues {
    const wanted = only ? this.closureOf(only) : null;
    const values: TagValues = {};
    // A tag's conditions read the tags it depends on, which come earlier in the order: computed already.
    const computed: TagSource = new ComputedSoFar(values);
    // Tags describe the person, not an event: secondsSinceLast looks up to and including now.
    const ctx: EvaluationContext = { event: null, traits: state.traits, state, now, before: now + 1, tags: computed };
    for (const c of this.ordered) if (!wanted || wanted.has(c.tag.name)) values[c.tag.name] = c.value(ctx);
    const ordered: TagValues = {};
    for (const name of this.names) if (Object.hasOwn(values, name)) ordered[name] = values[name]!;
    return ordered;
  }

  /** valuesAt, for callers that have not moved to the synchronous form. */
  async compute(state: UserState, now: number, only?: readonly string[]): Promise<TagValues> {
    return this.valuesAt(state, now, only);
  }

  private closureOf(only: readonly string[]): Set<string> {
    if (!Object.isFrozen(only)) return this.withDependencies(only);
    let wanted = this.closures.get(only);
    if (!wanted) this.closures.set(only, (wanted = this.withDependencies(only)));
    return wanted;
  }

  private withDependencies(names: readonly string[]): Set<string> {
    const wanted = new Set<string>();
    const add = (name: string) => {
      if (wanted.has(name)) return;
      wanted.add(name);
      for (const dependency of this.byName.get(name)?.dependencies ?? []) add(dependency);
    };
    names.forEach(add);
    return wanted;
  }
}

export const NO_TAGS = new TagSet([]);

/** The tag values of a state at `now` (builds the tag set; hold a TagSet to compute repeatedly). */
export function computeTags(tags: readonly Tag[], state: UserState, now: number): Promise<TagValues> {
  return new TagSet(tags).compute(state, now);
}

/** computeTags, synchronously. */
export function tagValuesAt(tags: readonly Tag[], state: UserState, now: number): TagValues {
  return new TagSet(tags).valuesAt(state, now);
}

function compile(tag: Tag): CompiledTag {
  const dependencies = [...new Set(tagDependencies(tag).map(([name]) => name))];
  switch (tag.kind) {
    case 'count': {
      const key = counterKey(tag.event, tag.where);
      const windowMs = parseDuration(tag.within);
      return { tag, dependencies, value: (ctx) => Math.min(countWithin(ctx.state, key, windowMs, ctx.now), tag.max) };
    }
    case 'distinct': {
      const gapMs = parseDuration(tag.sessionGap);
      const key = sessionKey({ ...tag, gapMs });
      return { tag, dependencies, value: (ctx) => distinctInSession(ctx.state.sessions?.[key], gapMs, tag.max, ctx.now) };
    }
    case 'stages': {
      // The furthest stage that holds, so the stages are tried from the last.
      const furthestFirst = tag.stages.map((stage) => ({ name: stage.name, conditions: compileConditions(stage.conditions) })).reverse();
      return {
        tag,
        dependencies,
        value(ctx) {
          for (const stage of furthestFirst) if (stage.conditions.matches(ctx)) return stage.name;
          return null;
        },
      };
    }
    case 'condition': {
      const conditions = compileConditions(tag.conditions);
      return { tag, dependencies, value: (ctx) => conditions.matches(ctx) };
    }
  }
}
