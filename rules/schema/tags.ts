/**
 * Behavior tags (rules/tags/*.json, one tag per file): named facts about a person computed from their
 * behavior state whenever they are read, usable in rule conditions ({"fact": "tags", "path":
 * "$.funnel_stage"}) and in templates ({{ tags.funnel_stage }}). This schema is the single source of the
 * Tag type, the runtime validation and rules/tag.schema.json.
 */
import { z } from 'zod';
import { PropertyFilter, TAG_NAME_PATTERN, TopLevelConditionSchema, tagReferencesOf, type TopLevelCondition } from './conditions';
import { Duration } from './duration';

const common = {
  $schema: z.string().optional().meta({ description: 'Path to tag.schema.json, for editor autocompletion.' }),
  name: z
    .string()
    .regex(TAG_NAME_PATTERN, 'a tag name is 1-64 lowercase letters, digits or "_", starting with a letter')
    .meta({ description: 'The tag\'s name in conditions ({"fact": "tags", "path": "$.<name>"}) and templates ({{ tags.<name> }}); unique among the tag files.' }),
  description: z.string().optional(),
};

const EventName = z.string().min(1).meta({ description: 'Event name (a track event\'s, or page_viewed / screen_viewed).' });

export const CountTag = z
  .object({
    ...common,
    kind: z.literal('count').meta({ description: 'How many times the user sent an event inside a sliding window ending now. A number.' }),
    event: EventName,
    where: PropertyFilter.optional(),
    within: Duration.meta({ description: 'Sliding window ending at the time the tag is read, exact to the millisecond. Example: "7d".' }),
    max: z.number().int().min(1).max(1000).default(100).meta({ description: 'The count stops here (default 100): the state keeps at most this many timestamps, so a busy user\'s state stays small.' }),
  })
  .strict();

export const DistinctTag = z
  .object({
    ...common,
    kind: z.literal('distinct').meta({
      description: 'How many distinct values of an event property the user sent in the current session. A number; 0 when the session has ended. A session is a run of these events with no gap longer than sessionGap.',
    }),
    event: EventName,
    where: PropertyFilter.optional(),
    property: z.string().min(1).meta({ description: 'The property whose distinct values are counted, e.g. "path" for distinct pages.' }),
    sessionGap: Duration.meta({ description: 'A longer pause between two of these events starts a new session, e.g. "30m".' }),
    max: z.number().int().min(1).max(100).default(20).meta({ description: 'The count stops here (default 20, at most 100): the state keeps at most this many values of the session.' }),
  })
  .strict();

export interface Stage {
  name: string;
  conditions: TopLevelCondition;
}

const StageSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a stage name is 1-64 lowercase letters, digits, "_" or "-"').meta({ description: 'The tag\'s value when this is the furthest stage reached, e.g. "viewed_pricing".' }),
    conditions: TopLevelConditionSchema.meta({ description: 'When the user has reached this stage; over the facts traits, count, secondsSinceLast and tags.' }),
  })
  .strict();

export const StagesTag = z
  .object({
    ...common,
    kind: z.literal('stages').meta({ description: 'The furthest stage whose conditions hold (the last one in the list), or null when none does. A string.' }),
    stages: z
      .array(StageSchema)
      .min(1)
      .refine((stages) => new Set(stages.map((s) => s.name)).size === stages.length, 'stage names must be unique')
      .meta({ description: 'Stages in order, nearest first: e.g. visited, viewed_pricing, started_checkout, ordered.' }),
  })
  .strict();

export const ConditionTag = z
  .object({
    ...common,
    kind: z.literal('condition').meta({ description: 'Whether the conditions hold. A boolean.' }),
    conditions: TopLevelConditionSchema.meta({ description: 'Over the facts traits, count, secondsSinceLast and tags (other tags).' }),
  })
  .strict();

export const TagSchema = z
  .discriminatedUnion('kind', [CountTag, DistinctTag, StagesTag, ConditionTag])
  .meta({ title: 'nudge tag', description: 'A behavior tag: a named fact about a person, computed from their behavior when it is read.' });

export type Tag = z.output<typeof TagSchema>;
export type CountTag = z.output<typeof CountTag>;
export type DistinctTag = z.output<typeof DistinctTag>;
export type TagValue = number | string | boolean | null;

/** The condition trees of a tag with their JSON paths in the tag file. */
export function conditionTreesOfTag(tag: Tag): [TopLevelCondition, (string | number)[]][] {
  if (tag.kind === 'stages') return tag.stages.map((stage, i) => [stage.conditions, ['stages', i, 'conditions']]);
  if (tag.kind === 'condition') return [[tag.conditions, ['conditions']]];
  return [];
}

/** The tags a tag reads, with the JSON path of each reference in the tag file. */
export function tagDependencies(tag: Tag): [string, (string | number)[]][] {
  return conditionTreesOfTag(tag).flatMap(([tree, path]) => tagReferencesOf(tree).map(([name, leafPath]): [string, (string | number)[]] => [name, [...path, ...leafPath]]));
}

/**
 * The tags in an order where every tag comes after the tags it reads (so each can be computed from
 * values already computed). References to unknown tags are ignored; a cycle is broken where it is met
 * (the loader rejects cycles, see tagSetProblems).
 */
export function dependencyOrder<T extends Pick<Tag, 'name'>>(tags: T[], dependencies: (tag: T) => string[]): T[] {
  const byName = new Map(tags.map((tag) => [tag.name, tag]));
  const ordered: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (tag: T) => {
    if (state.has(tag.name)) return;
    state.set(tag.name, 'visiting');
    for (const name of dependencies(tag)) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency);
    }
    state.set(tag.name, 'done');
    ordered.push(tag);
  };
  for (const tag of tags) visit(tag);
  return ordered;
}

/** Each cycle of tags reading each other, as the names along it ending where it started ("a → b → a"). */
export function tagCycles(tags: Tag[]): string[][] {
  const byName = new Map(tags.map((tag) => [tag.name, tag]));
  const cycles: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (name: string) => {
    const at = stack.indexOf(name);
    if (at !== -1) {
      cycles.push([...stack.slice(at), name]);
      return;
    }
    const tag = byName.get(name);
    if (!tag || done.has(name)) return;
    stack.push(name);
    for (const [dependency] of tagDependencies(tag)) visit(dependency);
    stack.pop();
    done.add(name);
  };
  for (const tag of tags) visit(tag.name);
  return cycles;
}

/** The problem with reading a tag that no tag file defines (a condition's `tags` leaf, a template's {{ tags.x }}). */
export function unknownTagMessage(name: string, names: ReadonlySet<string>): string {
  return names.size ? `no tag "${name}" is defined (tags: ${[...names].sort().join(', ')})` : `no tag "${name}" is defined: there are no tag files`;
}
