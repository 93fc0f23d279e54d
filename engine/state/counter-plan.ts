/**
 * Which behavior counters the engine keeps, derived from the rules and tags at load. A counter is an
 * event name plus property filters. For each one the plan records the longest window any rule or tag
 * asks about and how many timestamps a rule can ever need (a comparison with N needs at most N+1 to
 * decide; a count tag stops at its `max`), so a user's state is bounded by the rules and tags, not by
 * how many events the user sends. `distinct` tags add session records (see sessions.ts), bounded by
 * their `max` values each.
 */
import type { Condition } from '../../rules/schema/conditions';
import { leavesOf } from '../../rules/schema/conditions';
import { parseDuration } from '../../rules/schema/parse-duration';
import { conditionTreesOfRule, type Rule } from '../../rules/schema/rule';
import { conditionTreesOfTag, type DistinctTag, type Tag } from '../../rules/schema/tags';
import { triggerEventOf } from '../../rules/schema/trigger';
import { latenessOfRules, type PlanLateness } from './lateness';

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
  /**
   * The longest allowed lateness of the rules (lateness.ts). Journeys re-check their trigger as of a time
   * up to this long before the user's clock, so the counter keeps what counting then needs (counters.ts).
   * Absent: 0.
   */
  latenessMs?: number;
}

/** A `distinct` tag's session record: distinct values of one property of one (filtered) event. */
export interface SessionSpec {
  key: string;
  event: string;
  where: PropertyFilter;
  property: string;
  /** A longer pause between two of the events starts a new session. */
  gapMs: number;
  /** Most distinct values any tag reading this record can count. */
  maxValues: number;
}

export interface CounterPlan {
  byKey: Map<string, CounterSpec>;
  byEvent: Map<string, CounterSpec[]>;
  sessionsByKey: Map<string, SessionSpec>;
  sessionsByEvent: Map<string, SessionSpec[]>;
  /**
   * Trigger event names of the enabled rules: the state keeps a user's newest few of these events
   * (`UserState.recent`) so rules can be re-evaluated on a merged state. Tags add none: they trigger nothing.
   */
  triggerEvents: Set<string>;
  /** How far back counters keep for trigger re-checks (lateness.ts); absent: no rule can re-check. */
  lateness?: PlanLateness;
}

export function counterKey(event: string, where: PropertyFilter = {}): string {
  const sorted = Object.keys(where).sort().map((k) => [k, where[k]]);
  return sorted.length ? `${event}|${JSON.stringify(sorted)}` : event;
}

/** The event and filter of a counter key (the inverse of counterKey). */
export function parseCounterKey(key: string): { event: string; where: PropertyFilter } {
  const at = key.lastIndexOf('|[');
  if (at !== -1) {
    try {
      const pairs = JSON.parse(key.slice(at + 1)) as [string, string | number | boolean][];
      if (Array.isArray(pairs) && pairs.every((p) => Array.isArray(p) && p.length === 2)) return { event: key.slice(0, at), where: Object.fromEntries(pairs) };
    } catch {
      /* an event name that merely contains "|[" */
    }
  }
  return { event: key, where: {} };
}

/** Every condition tree in a rule: trigger, exit conditions, branch and wait-for conditions. */
export function conditionTreesOf(rule: Rule): Condition[] {
  return conditionTreesOfRule(rule).map(([tree]) => tree);
}

/** The session record a distinct tag reads. */
export function sessionKey(tag: Pick<DistinctTag, 'event' | 'where' | 'property'> & { gapMs: number }): string {
  return `${counterKey(tag.event, tag.where)}#${JSON.stringify([tag.property, tag.gapMs])}`;
}

/** The event, filter, property and gap of a session key (the inverse of sessionKey). */
export function parseSessionKey(key: string): { event: string; where: PropertyFilter; property: string; gapMs: number } | null {
  const at = key.lastIndexOf('#[');
  try {
    const [property, gapMs] = JSON.parse(key.slice(at + 1)) as [string, number];
    return at === -1 ? null : { ...parseCounterKey(key.slice(0, at)), property, gapMs };
  } catch {
    return null;
  }
}

/**
 * `allowedLatenessMs`: NUDGE_ALLOWED_LATENESS, for the rules that set no allowedLateness (planWithLateness
 * adjusts a plan to it later). `featureConditions`: what trained models read (engine/match/model-scores.ts).
 */
export function buildCounterPlan(rules: Rule[], tags: Tag[] = [], options: { allowedLatenessMs?: number; featureConditions?: Condition[] } = {}): CounterPlan {
  const lateness = latenessOfRules(rules, options.allowedLatenessMs ?? 0);
  const latenessMs = lateness.effectiveMs;
  const byKey = new Map<string, CounterSpec>();
  const need = (leaf: { params: { event: string; where?: PropertyFilter } }) => {
    const key = counterKey(leaf.params.event, leaf.params.where);
    let spec = byKey.get(key);
    if (!spec) {
      spec = { key, event: leaf.params.event, where: leaf.params.where ?? {}, windowMs: 0, maxCount: 0, keepLatest: 0, ...(latenessMs > 0 ? { latenessMs } : {}) };
      byKey.set(key, spec);
    }
    return spec;
  };
  const trees = [...rules.flatMap(conditionTreesOf), ...tags.flatMap((tag) => conditionTreesOfTag(tag).map(([tree]) => tree)), ...(options.featureConditions ?? [])];
  for (const tree of trees) {
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
  const sessionsByKey = new Map<string, SessionSpec>();
  for (const tag of tags) {
    if (tag.kind === 'count') {
      const spec = need({ params: tag });
      spec.windowMs = Math.max(spec.windowMs, parseDuration(tag.within));
      spec.maxCount = Math.max(spec.maxCount, tag.max);
    } else if (tag.kind === 'distinct') {
      const gapMs = parseDuration(tag.sessionGap);
      const key = sessionKey({ ...tag, gapMs });
      const existing = sessionsByKey.get(key);
      sessionsByKey.set(key, { key, event: tag.event, where: tag.where ?? {}, property: tag.property, gapMs, maxValues: Math.max(existing?.maxValues ?? 0, tag.max) });
    }
  }
  const triggerEvents = new Set(rules.filter((rule) => rule.enabled).flatMap((rule) => triggerEventOf(rule.trigger) ?? []));
  return { byKey, byEvent: byEventOf(byKey), sessionsByKey, sessionsByEvent: byEventOf(sessionsByKey), triggerEvents, ...(lateness.ownMs > 0 || lateness.usesGlobal ? { lateness } : {}) };
}

function byEventOf<T extends { event: string }>(specs: Map<string, T>): Map<string, T[]> {
  const byEvent = new Map<string, T[]>();
  for (const spec of specs.values()) byEvent.set(spec.event, [...(byEvent.get(spec.event) ?? []), spec]);
  return byEvent;
}

/**
 * An event name's counters, grouped by the value of the first property each filters on. With hundreds
 * of rules naming one page each, an event then tests the few counters its own property values name
 * instead of every filter of its event name.
 */
interface EventCounters {
  unfiltered: CounterSpec[];
  byProperty: Map<string, Map<unknown, CounterSpec[]>>;
  /** Each spec's place in `byEvent`, so matches come back in the plan's order (the state's key order). */
  order: Map<CounterSpec, number>;
}

// Keyed by the plan's byEvent map: built lazily, once per plan, also for plans built by hand in tests.
const counterIndexes = new WeakMap<Map<string, CounterSpec[]>, Map<string, EventCounters>>();

function eventCountersOf(plan: CounterPlan, event: string): EventCounters | undefined {
  let index = counterIndexes.get(plan.byEvent);
  if (!index) counterIndexes.set(plan.byEvent, (index = new Map()));
  let counters = index.get(event);
  if (counters) return counters;
  const specs = plan.byEvent.get(event);
  if (!specs) return undefined;
  counters = { unfiltered: [], byProperty: new Map(), order: new Map(specs.map((spec, i) => [spec, i])) };
  for (const spec of specs) {
    const property = Object.keys(spec.where)[0];
    if (property === undefined) {
      counters.unfiltered.push(spec);
      continue;
    }
    let byValue = counters.byProperty.get(property);
    if (!byValue) counters.byProperty.set(property, (byValue = new Map()));
    const value = spec.where[property];
    byValue.set(value, [...(byValue.get(value) ?? []), spec]);
  }
  index.set(event, counters);
  return counters;
}

/** The counters an event with these properties counts in: `byEvent`'s specs whose filter it matches, in order. Read-only. */
export function countersFor(plan: CounterPlan, event: string, properties: Record<string, unknown>): readonly CounterSpec[] {
  const counters = eventCountersOf(plan, event);
  if (!counters) return [];
  let matched: CounterSpec[] | null = null;
  for (const [property, byValue] of counters.byProperty) {
    const candidates = byValue.get(properties[property]);
    if (!candidates) continue;
    // The index only narrows the candidates; the filter itself (=== on every property) decides.
    for (const spec of candidates) if (matchesFilter(properties, spec.where)) (matched ??= [...counters.unfiltered]).push(spec);
  }
  if (!matched) return counters.unfiltered;
  return matched.sort((a, b) => counters.order.get(a)! - counters.order.get(b)!);
}

// Keyed by the plan's triggerEvents set: built lazily, once per plan.
const triggerNames = new WeakMap<Set<string>, Map<string, string>>();

/**
 * The plan's own copy of a trigger event name, or undefined when no enabled rule triggers on it. An
 * event's name is a new string for every parsed event, which V8 must look up in its string table on
 * every property access keyed by it (state.recent[name]); the plan's copy is looked up once, here.
 */
export function triggerEventName(plan: CounterPlan, name: string): string | undefined {
  let names = triggerNames.get(plan.triggerEvents);
  if (!names) triggerNames.set(plan.triggerEvents, (names = new Map([...plan.triggerEvents].map((event) => [event, event]))));
  return names.get(name);
}

export function matchesFilter(properties: Record<string, unknown>, where: PropertyFilter): boolean {
  for (const [name, expected] of Object.entries(where)) if (properties[name] !== expected) return false;
  return true;
}
