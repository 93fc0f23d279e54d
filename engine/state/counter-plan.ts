/**
 * Which behavior counters the engine keeps, derived from the rules at load. A counter is an event name
 * plus property filters. For each one the plan records the longest window any rule asks about and how
 * many timestamps a rule can ever need (a comparison with N needs at most N+1 to decide), so a user's
 * state is bounded by the rules, not by how many events the user sends.
 */
import type { Condition, ConditionLeaf } from '../../rules/schema/conditions';
import { leavesOf } from '../../rules/schema/conditions';
import { parseDuration } from '../../rules/schema/parse-duration';
import type { Rule } from '../../rules/schema/rule';
import { walkSteps } from '../../rules/schema/steps';

export type PropertyFilter = Record<string, string | number | boolean>;

export interface CounterSpec {
  key: string;
  event: string;
  where: PropertyFilter;
  /** Entries older than this (relative to the user's clock) are dropped, except the `keepLatest` newest. */
  windowMs: number;
  /** Most timestamps any rule can need inside the window. */
  maxCount: number;
  /** Newest timestamps kept regardless of the window (for secondsSinceLast: the current and the previous one). */
  keepLatest: number;
}

export interface CounterPlan {
  byKey: Map<string, CounterSpec>;
  byEvent: Map<string, CounterSpec[]>;
}

export function counterKey(event: string, where: PropertyFilter = {}): string {
  const sorted = Object.keys(where).sort().map((k) => [k, where[k]]);
  return sorted.length ? `${event}|${JSON.stringify(sorted)}` : event;
}

/** Every condition tree in a rule: trigger, exit conditions, branch and wait-for conditions. */
export function conditionTreesOf(rule: Rule): Condition[] {
  const trees: Condition[] = [];
  if (rule.trigger.conditions) trees.push(rule.trigger.conditions);
  for (const exit of rule.exitOn) if (exit.conditions) trees.push(exit.conditions);
  for (const [step] of walkSteps(rule.steps)) {
    if (step.type === 'branch') trees.push(step.conditions);
    if (step.type === 'waitForEvent' && step.conditions) trees.push(step.conditions);
  }
  return trees;
}

export function buildCounterPlan(rules: Rule[]): CounterPlan {
  const byKey = new Map<string, CounterSpec>();
  const need = (leaf: ConditionLeaf & { params: { event: string; where?: PropertyFilter } }) => {
    const key = counterKey(leaf.params.event, leaf.params.where);
    let spec = byKey.get(key);
    if (!spec) {
      spec = { key, event: leaf.params.event, where: leaf.params.where ?? {}, windowMs: 0, maxCount: 0, keepLatest: 0 };
      byKey.set(key, spec);
    }
    return spec;
  };
  for (const rule of rules) {
    for (const tree of conditionTreesOf(rule)) {
      for (const [leaf] of leavesOf(tree)) {
        if (leaf.fact === 'count') {
          const spec = need(leaf);
          spec.windowMs = Math.max(spec.windowMs, parseDuration(leaf.params.within));
          spec.maxCount = Math.max(spec.maxCount, leaf.value + 1);
        } else if (leaf.fact === 'secondsSinceLast') {
          need(leaf).keepLatest = 2;
        }
      }
    }
  }
  const byEvent = new Map<string, CounterSpec[]>();
  for (const spec of byKey.values()) byEvent.set(spec.event, [...(byEvent.get(spec.event) ?? []), spec]);
  return { byKey, byEvent };
}

export function matchesFilter(properties: Record<string, unknown>, where: PropertyFilter): boolean {
  for (const [name, expected] of Object.entries(where)) if (properties[name] !== expected) return false;
  return true;
}
