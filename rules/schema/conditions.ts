/**
 * The condition language: json-rules-engine's condition trees (all / any / not over leaves), with the
 * facts nudge provides spelled out so a wrong fact or parameter is caught when the rule loads.
 */
import { z } from 'zod';
import { Duration } from './duration';

export const NUMERIC_OPERATORS = ['equal', 'notEqual', 'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'] as const;
export const VALUE_OPERATORS = [...NUMERIC_OPERATORS, 'in', 'notIn', 'contains', 'doesNotContain'] as const;

const NumericOperator = z.enum(NUMERIC_OPERATORS).meta({ description: 'How the fact is compared with `value`.' });
const ValueOperator = z.enum(VALUE_OPERATORS).meta({ description: 'How the fact is compared with `value`.' });

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** Property equality filters on an event, e.g. { "page": "pricing" }. */
export const PropertyFilter = z
  .record(z.string().min(1), Scalar)
  .meta({ description: 'Only events whose properties equal all of these values count. Example: {"page": "pricing"}.' });

const JsonPath = z
  .string()
  .regex(/^\$(\.[A-Za-z_][\w-]*|\[\d+\])*$/, 'a path looks like "$.properties.page" or "$.plan"')
  .meta({ description: 'JSONPath into the fact, e.g. "$.properties.page".' });

const EventLeaf = z
  .object({
    fact: z.literal('event').meta({ description: 'The event being evaluated (the trigger, or the event a journey received).' }),
    path: JsonPath,
    operator: ValueOperator,
    value: z.unknown(),
  })
  .strict();

const TraitsLeaf = z
  .object({
    fact: z.literal('traits').meta({ description: "The user's profile traits, as set by identify events." }),
    path: JsonPath,
    operator: ValueOperator,
    value: z.unknown(),
  })
  .strict();

export const CountParams = z
  .object({
    event: z.string().min(1).meta({ description: 'Event name to count.' }),
    where: PropertyFilter.optional(),
    within: Duration.meta({ description: 'Sliding window ending at the user\'s latest event, exact to the millisecond.' }),
  })
  .strict();

const CountLeaf = z
  .object({
    fact: z.literal('count').meta({ description: 'How many times the user sent an event inside a sliding window (including the event being evaluated).' }),
    params: CountParams,
    operator: NumericOperator,
    value: z.number().int().min(0).max(1000).meta({ description: 'Count to compare with (0 to 1000).' }),
  })
  .strict();

export const SinceLastParams = z
  .object({
    event: z.string().min(1).meta({ description: 'Event name.' }),
    where: PropertyFilter.optional(),
  })
  .strict();

const SinceLastLeaf = z
  .object({
    fact: z.literal('secondsSinceLast').meta({
      description: 'Seconds since the previous occurrence of an event (before the event being evaluated). Never seen: no value, so every comparison is false.',
    }),
    params: SinceLastParams,
    operator: NumericOperator,
    value: z.number().min(0).meta({ description: 'Seconds.' }),
  })
  .strict();

/** Tag names: usable as a JSONPath member (`$.funnel_stage`) and a Liquid variable (`tags.funnel_stage`). */
export const TAG_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

const TagsLeaf = z
  .object({
    fact: z.literal('tags').meta({ description: "The user's behavior tags (rules/tags/*.json), computed from their state when the condition is evaluated." }),
    path: z
      .string()
      .regex(/^\$\.[a-z][a-z0-9_]{0,63}$/, 'a tags path names one tag, e.g. "$.funnel_stage"')
      .meta({ description: 'The tag, as "$.<tag name>", e.g. "$.funnel_stage".' }),
    operator: ValueOperator,
    value: z.unknown(),
  })
  .strict();

const ScoreLeaf = z
  .object({
    fact: z.literal('score').meta({ description: "A trained model's probability for the person (rules/models/<id>.model.json, `nudge train`), computed from their state when the condition is evaluated." }),
    params: z.object({ model: z.string().min(1).meta({ description: 'The model id, e.g. "churn-30d".' }) }).strict(),
    operator: NumericOperator,
    value: z.number().min(0).max(1).meta({ description: 'Probability to compare with (0 to 1).' }),
  })
  .strict();

export const ConditionLeaf = z.discriminatedUnion('fact', [EventLeaf, TraitsLeaf, CountLeaf, SinceLastLeaf, TagsLeaf, ScoreLeaf]);

export type ConditionLeaf = z.infer<typeof ConditionLeaf>;
export type TagsLeaf = z.infer<typeof TagsLeaf>;

/** The tag a `tags` leaf reads ("$.funnel_stage" → "funnel_stage"). */
export const tagNameOf = (leaf: TagsLeaf): string => leaf.path.slice(2);

/** Every tag a condition tree reads, with the JSON path of the leaf (relative to the tree). */
export function tagReferencesOf(node: Condition): [string, (string | number)[]][] {
  const references: [string, (string | number)[]][] = [];
  for (const [leaf, path] of leavesOf(node)) if (leaf.fact === 'tags') references.push([tagNameOf(leaf), path]);
  return references;
}
export type Condition = ConditionLeaf | AllCondition | AnyCondition | NotCondition;
export interface AllCondition { all: Condition[] }
export interface AnyCondition { any: Condition[] }
export interface NotCondition { not: Condition }
export type TopLevelCondition = AllCondition | AnyCondition | NotCondition;

const All: z.ZodType<AllCondition> = z.object({ get all() { return z.array(ConditionNode).min(1); } }).strict();
const Any: z.ZodType<AnyCondition> = z.object({ get any() { return z.array(ConditionNode).min(1); } }).strict();
const Not: z.ZodType<NotCondition> = z.object({ get not() { return ConditionNode; } }).strict();

export const ConditionNode: z.ZodType<Condition> = z.union([All, Any, Not, ConditionLeaf]);

export const TopLevelConditionSchema: z.ZodType<TopLevelCondition> = z
  .union([All, Any, Not])
  .meta({ description: 'A json-rules-engine condition tree: {"all": [...]}, {"any": [...]} or {"not": {...}}.' });

/** Every model a condition tree's `score` leaves read, with the JSON path of the leaf (relative to the tree). */
export function modelReferencesOf(node: Condition): [string, (string | number)[]][] {
  const references: [string, (string | number)[]][] = [];
  for (const [leaf, path] of leavesOf(node)) if (leaf.fact === 'score') references.push([leaf.params.model, path]);
  return references;
}

/** Walks every leaf of a condition tree, with its JSON path relative to the tree. */
export function* leavesOf(node: Condition, path: (string | number)[] = []): Generator<[ConditionLeaf, (string | number)[]]> {
  if ('all' in node) for (const [i, child] of node.all.entries()) yield* leavesOf(child, [...path, 'all', i]);
  else if ('any' in node) for (const [i, child] of node.any.entries()) yield* leavesOf(child, [...path, 'any', i]);
  else if ('not' in node) yield* leavesOf(node.not, [...path, 'not']);
  else yield [node, path];
}
