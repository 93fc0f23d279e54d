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
import { ConditionEvaluator } from './evaluate-conditions';
import type { EvaluationContext, TagSource } from './facts';

export type TagValues = Record<string, TagValue>;

interface CompiledTag {
  tag: Tag;
  dependencies: string[];
  value(state: UserState, now: number, tags: TagSource): Promise<TagValue>;
}

/** A tag set compiled once (durations parsed, condition evaluators built, dependency order fixed). */
export class TagSet implements TagSource {
  readonly names: readonly string[];
  private readonly ordered: CompiledTag[];
  private readonly byName: Map<string, CompiledTag>;

  constructor(readonly tags: readonly Tag[] = []) {
    const compiled = tags.map(compile);
    this.ordered = dependencyOrder(compiled.map((c) => ({ ...c, name: c.tag.name })), (c) => c.dependencies);
    this.byName = new Map(this.ordered.map((c) => [c.tag.name, c]));
    this.names = tags.map((tag) => tag.name);
  }

  /** The values of `only` (and of the tags they read), or of every tag, in the order of the tag files. Unknown names are left out. */
  async compute(state: UserState, now: number, only?: readonly string[]): Promise<TagValues> {
    const wanted = only ? this.withDependencies(only) : null;
    const values: TagValues = {};
    // A tag's conditions read the tags it depends on, which come earlier in the order: computed already.
    const computed: TagSource = { compute: async () => values };
    for (const c of this.ordered) {
      if (wanted && !wanted.has(c.tag.name)) continue;
      values[c.tag.name] = await c.value(state, now, computed);
    }
    return Object.fromEntries(this.names.filter((name) => Object.hasOwn(values, name)).map((name) => [name, values[name]!]));
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

function compile(tag: Tag): CompiledTag {
  const dependencies = [...new Set(tagDependencies(tag).map(([name]) => name))];
  const contextOf = (state: UserState, now: number, tags: TagSource): EvaluationContext => ({ event: null, traits: state.traits, state, now, before: now + 1, tags });
  switch (tag.kind) {
    case 'count': {
      const key = counterKey(tag.event, tag.where);
      const windowMs = parseDuration(tag.within);
      return { tag, dependencies, value: async (state, now) => Math.min(countWithin(state, key, windowMs, now), tag.max) };
    }
    case 'distinct': {
      const gapMs = parseDuration(tag.sessionGap);
      const key = sessionKey({ ...tag, gapMs });
      return { tag, dependencies, value: async (state, now) => distinctInSession(state.sessions?.[key], gapMs, tag.max, now) };
    }
    case 'stages': {
      const stages = tag.stages.map((stage) => ({ name: stage.name, evaluator: new ConditionEvaluator(stage.conditions, `${tag.name}:${stage.name}`) }));
      return {
        tag,
        dependencies,
        async value(state, now, tags) {
          for (const stage of [...stages].reverse()) if ((await stage.evaluator.evaluate(contextOf(state, now, tags))).passed) return stage.name;
          return null;
        },
      };
    }
    case 'condition': {
      const evaluator = new ConditionEvaluator(tag.conditions, tag.name);
      return { tag, dependencies, value: async (state, now, tags) => (await evaluator.evaluate(contextOf(state, now, tags))).passed };
    }
  }
}
