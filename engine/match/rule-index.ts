/**
 * Rules compiled for matching, indexed by trigger event name and, where the trigger requires it, by an
 * event property's value: an event only ever meets the rules it can trigger, so rules for other events
 * (or other pages of the same event) cost nothing. The tag set their conditions read (and the counters
 * both need) is compiled with them.
 */
import type { LoadedRule } from '../../rules/load-rules';
import type { LoadedTag } from '../../rules/load-tags';
import type { TrainedModel } from '../../rules/schema/trained-model';
import type { TopLevelCondition } from '../../rules/schema/conditions';
import type { Rule } from '../../rules/schema/rule';
import { walkSteps } from '../../rules/schema/step-tree';
import { triggerEventOf } from '../../rules/schema/trigger';
import { buildCounterPlan, type CounterPlan } from '../state/counter-plan';
import { AbsenceIndex } from './absence-index';
import { ConditionEvaluator } from './evaluate-conditions';
import { ScoreSet } from './model-scores';
import { TagSet } from './tags';

export interface CompiledRule {
  rule: Rule;
  file: string;
  trigger: ConditionEvaluator;
  /** Event names a journey of this rule wants as signals: its exit events and wait-for events. */
  listens: string[];
}

export class RuleIndex {
  readonly plan: CounterPlan;
  readonly rules: CompiledRule[];
  readonly tags: TagSet;
  /** The enabled absence-trigger rules by the events they watch (never in the event candidates). */
  readonly absences: AbsenceIndex;
  /** The trained models the `score` fact reads (their features' counters are in the plan). */
  readonly scores: ScoreSet;
  private readonly byTrigger = new Map<string, EventRules>();

  constructor(loaded: LoadedRule[], tags: LoadedTag[] = [], models: readonly TrainedModel[] = []) {
    this.tags = new TagSet(tags.map((t) => t.tag));
    this.scores = new ScoreSet(models, this.tags);
    this.plan = buildCounterPlan(loaded.map((l) => l.rule), tags.map((t) => t.tag), { featureConditions: this.scores.conditions() });
    this.rules = loaded.map(({ rule, file }) => ({ rule, file, trigger: new ConditionEvaluator(rule.trigger.conditions, rule.id), listens: journeyListens(rule) }));
    for (const compiled of this.rules) {
      // Absence and audience triggers are never matched by an arriving event (see rules/schema/trigger.ts).
      const name = triggerEventOf(compiled.rule.trigger);
      if (!compiled.rule.enabled || name === undefined) continue;
      let rules = this.byTrigger.get(name);
      if (!rules) this.byTrigger.set(name, (rules = new EventRules()));
      rules.add(compiled);
    }
    this.absences = new AbsenceIndex(this.rules);
  }

  /**
   * Enabled rules with an event trigger of this event name, in file order. With `properties` (what the trigger
   * sees as `$.properties`), only those that can match them: a rule whose trigger requires a property
   * to equal a value (see requiredProperty) is left out when the event's property is another value or
   * missing. A pre-filter only: every candidate's conditions are still evaluated in full.
   */
  candidates(eventName: string, properties?: Record<string, unknown>): readonly CompiledRule[] {
    const rules = this.byTrigger.get(eventName);
    if (!rules) return NONE;
    return properties === undefined ? rules.all : rules.matching(properties);
  }

  byId(ruleId: string): CompiledRule | undefined {
    return this.rules.find((r) => r.rule.id === ruleId);
  }
}

const NONE: readonly CompiledRule[] = Object.freeze([]);

type Scalar = string | number | boolean;

/** The enabled rules of one trigger event. */
class EventRules {
  readonly all: CompiledRule[] = [];
  private readonly unindexed: CompiledRule[] = [];
  /** property → value → the rules requiring it, each list in file order. */
  private readonly byProperty = new Map<string, Map<Scalar, CompiledRule[]>>();
  private readonly position = new Map<CompiledRule, number>();

  add(compiled: CompiledRule): void {
    this.position.set(compiled, this.all.length);
    this.all.push(compiled);
    const required = requiredProperty(compiled.rule.trigger.conditions);
    if (!required) return void this.unindexed.push(compiled);
    let byValue = this.byProperty.get(required.property);
    if (!byValue) this.byProperty.set(required.property, (byValue = new Map()));
    const list = byValue.get(required.value);
    if (list) list.push(compiled);
    else byValue.set(required.value, [compiled]);
  }

  matching(properties: Record<string, unknown>): readonly CompiledRule[] {
    if (this.byProperty.size === 0) return this.all;
    const lists: CompiledRule[][] = this.unindexed.length ? [this.unindexed] : [];
    for (const [property, byValue] of this.byProperty) {
      // As the leaf's path reads it: an own property of a truthy `properties`, else undefined (no rule).
      const value = properties && Object.hasOwn(properties, property) ? properties[property] : undefined;
      const list = byValue.get(value as Scalar);
      if (list) lists.push(list);
    }
    if (lists.length <= 1) return lists[0] ?? NONE;
    return lists.flat().sort((a, b) => this.position.get(a)! - this.position.get(b)!);
  }
}

const PROPERTY_LEAF_PATH = /^\$\.properties\.([A-Za-z_][\w-]*)$/;

/**
 * The property a trigger requires to equal a value: the first leaf of its top-level `all` that is an
 * `event` leaf on `$.properties.<name>` with `equal` and a string, number or boolean value. Such a leaf
 * passes only when the property is exactly that value (===), and the all fails when it fails.
 */
export function requiredProperty(conditions: TopLevelCondition | undefined): { property: string; value: Scalar } | undefined {
  if (!conditions || 'any' in conditions || !('all' in conditions)) return undefined;
  for (const leaf of conditions.all) {
    if (!('fact' in leaf) || leaf.fact !== 'event' || leaf.operator !== 'equal') continue;
    const property = PROPERTY_LEAF_PATH.exec(leaf.path)?.[1];
    const value = leaf.value;
    // NaN equals nothing (===) but would find itself as a Map key.
    const scalar = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && !Number.isNaN(value));
    if (property !== undefined && scalar) return { property, value: value as Scalar };
  }
  return undefined;
}

/** Event names a journey of this rule wants to hear about: its exit events, wait-for events and goal. */
export function journeyListens(rule: Rule): string[] {
  const names = new Set(rule.exitOn.map((e) => e.event));
  for (const [step] of walkSteps(rule.steps)) if (step.type === 'waitForEvent') names.add(step.event);
  if (rule.goal) names.add(rule.goal.event); // conversions are recorded while the journey runs
  return [...names];
}
