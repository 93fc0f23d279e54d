/**
 * Allowed lateness in the counter plan. A journey re-checks its trigger as of a time up to the allowed
 * lateness before the user's clock (workflows/journey/trigger-recheck.ts), so counters must keep what
 * counting as of then needs (counters.ts). Rules may set their own allowedLateness; the others use
 * NUDGE_ALLOWED_LATENESS, which reaches the pure core with the global guardrails, so the plan built from
 * the rules is adjusted to the setting here (once per plan and setting, not per event).
 */
import { parseDuration } from '../../rules/schema/parse-duration';
import type { Rule } from '../../rules/schema/rule';
import { isEventTrigger } from '../../rules/schema/trigger';
import type { CounterPlan, CounterSpec } from './counter-plan';

export interface PlanLateness {
  /** The longest allowedLateness an enabled rule sets itself (ms). */
  ownMs: number;
  /** Whether an enabled rule with trigger conditions leaves it to NUDGE_ALLOWED_LATENESS. */
  usesGlobal: boolean;
  /** What the plan's counters keep for (ms). */
  effectiveMs: number;
}

/** A rule's allowed lateness (ms): its own allowedLateness (false: none), else the global setting; 0 without trigger conditions (nothing to re-check). */
export function allowedLatenessOf(rule: Rule, globalMs: number): number {
  // Only an event trigger is re-checked as of its event's time; absence and audience triggers fire on state as it is.
  if (!isEventTrigger(rule.trigger) || !rule.trigger.conditions || rule.allowedLateness === false) return 0;
  return rule.allowedLateness === undefined ? globalMs : parseDuration(rule.allowedLateness);
}

export function latenessOfRules(rules: Rule[], globalMs: number): PlanLateness {
  const checked = rules.filter((rule) => rule.enabled && isEventTrigger(rule.trigger) && rule.trigger.conditions && rule.allowedLateness !== false);
  const ownMs = Math.max(0, ...checked.map((rule) => (rule.allowedLateness ? parseDuration(rule.allowedLateness) : 0)));
  const usesGlobal = checked.some((rule) => rule.allowedLateness === undefined);
  return { ownMs, usesGlobal, effectiveMs: Math.max(ownMs, usesGlobal ? globalMs : 0) };
}

const adjusted = new WeakMap<CounterPlan, Map<number, CounterPlan>>();

/** The plan with NUDGE_ALLOWED_LATENESS = `globalMs`: the plan itself when that changes nothing (always, without lateness). */
export function planWithLateness(plan: CounterPlan, globalMs: number): CounterPlan {
  const lateness = plan.lateness;
  if (!lateness?.usesGlobal) return plan;
  const effectiveMs = Math.max(lateness.ownMs, globalMs);
  if (effectiveMs === lateness.effectiveMs) return plan;
  let byGlobal = adjusted.get(plan);
  if (!byGlobal) adjusted.set(plan, (byGlobal = new Map()));
  let next = byGlobal.get(globalMs);
  if (!next) {
    const byKey = new Map<string, CounterSpec>([...plan.byKey].map(([key, spec]) => [key, { ...spec, latenessMs: effectiveMs }]));
    const byEvent = new Map([...plan.byEvent].map(([event, specs]) => [event, specs.map((spec) => byKey.get(spec.key)!)]));
    byGlobal.set(globalMs, (next = { ...plan, byKey, byEvent, lateness: { ...lateness, effectiveMs } }));
  }
  return next;
}
