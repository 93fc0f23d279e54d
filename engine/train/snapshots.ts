/**
 * Training rows from a behavior history: each person's events are applied in time order to a behavior
 * state (applyEvent, the engine's own) and, at every snapshot time, the person — when active — gives one
 * row: the feature columns as of the snapshot (model-scores.ts, the code that scores) and the label from
 * the events after it. The state at a snapshot has seen only events at or before it, so features cannot
 * read the future; labels read only events strictly after it. Snapshot times are a fixed grid, split by
 * time: rows whose label period ends before `evaluateFrom` train, rows from `evaluateFrom` on evaluate.
 */
import { parseDuration } from '../../rules/schema/parse-duration';
import { labelHorizonOf, type Label, type ModelFile } from '../../rules/schema/model';
import { behaviorEventOf, type EventEnvelope } from '../events/envelope';
import { matchesFilter, buildCounterPlan } from '../state/counter-plan';
import { applyEvent, emptyState } from '../state/behavior-state';
import type { TagSet } from '../match/tags';
import { compileFeatures, featureConditions } from '../match/model-scores';

export interface SnapshotRows {
  columns: string[];
  rows: number[][];
  labels: number[];
  /** Snapshot time (ms) of each row. */
  times: number[];
}

export interface Snapshots {
  train: SnapshotRows;
  evaluate: SnapshotRows;
  periods: { train: { from: number; to: number; snapshots: number }; evaluate: { from: number; to: number; snapshots: number } };
}

/** The snapshot grid of a training range: from the first time every window is full until the last label period ends by `to`. */
export function snapshotTimes(model: ModelFile, from: number, to: number): number[] {
  const lookBack = Math.max(parseDuration(model.sampling.activeWithin), ...model.features.map((f) => (f.kind === 'count' ? parseDuration(f.within) : 0)));
  const every = parseDuration(model.sampling.every);
  const horizon = labelHorizonOf(model.label);
  const times: number[] = [];
  for (let t = from + lookBack; t + horizon <= to; t += every) times.push(t);
  return times;
}

/** Where the evaluation period starts: `training.evaluateFrom`, else the snapshot at three quarters of the grid. */
export function evaluationStart(model: ModelFile, times: readonly number[]): number {
  if (model.training.evaluateFrom) return Date.parse(model.training.evaluateFrom);
  return times[Math.floor(times.length * 0.75)] ?? Infinity;
}

export function buildSnapshots(model: ModelFile, events: readonly EventEnvelope[], tags: TagSet): Snapshots {
  const inRange = rangeOf(model, events);
  const times = snapshotTimes(model, inRange.from, inRange.to);
  const split = evaluationStart(model, times);
  const horizon = labelHorizonOf(model.label);
  const activeMs = parseDuration(model.sampling.activeWithin);
  const features = compileFeatures(model.features);
  // The counters the features read, and what the tags need: as the engine keeps them for these models.
  const plan = buildCounterPlan([], [...tags.tags], { featureConditions: featureConditions(model.features) });
  const empty = (): SnapshotRows => ({ columns: features.columns, rows: [], labels: [], times: [] });
  const out = { train: empty(), evaluate: empty() };
  for (const personEvents of byPerson(inRange.events).values()) {
    let state = emptyState(personEvents[0]!.key);
    let next = 0;
    let lastActive = -Infinity;
    for (const t of times) {
      for (; next < personEvents.length && personEvents[next]!.at <= t; next++) {
        const { event, at } = personEvents[next]!;
        state = applyEvent(state, event, next + 1, plan);
        if (behaviorEventOf(event)) lastActive = at;
      }
      if (lastActive <= t - activeMs) continue;
      const target = t + horizon <= split ? out.train : t >= split ? out.evaluate : null;
      if (!target) continue; // its label period crosses into the evaluation period
      target.rows.push(features.row(state, t, tags));
      target.labels.push(labelOf(model.label, personEvents, next, t, t + horizon));
      target.times.push(t);
    }
  }
  const trainTimes = times.filter((t) => t + horizon <= split);
  const evaluateTimes = times.filter((t) => t >= split);
  const period = (list: number[]) => ({ from: list[0] ?? inRange.from, to: (list.at(-1) ?? inRange.from) + horizon, snapshots: list.length });
  return { ...out, periods: { train: period(trainTimes), evaluate: period(evaluateTimes) } };
}

/** 1 or 0 from the events in (t, end]; `next` is the first event after t. */
function labelOf(label: Label, events: readonly TimedEvent[], next: number, t: number, end: number): number {
  for (let i = next; i < events.length && events[i]!.at <= end; i++) {
    if (events[i]!.at <= t) continue;
    const behavior = behaviorEventOf(events[i]!.event);
    if (!behavior) continue;
    if ('noActivity' in label) return 0; // active again: not churned
    if (behavior.name === label.event && matchesFilter(behavior.properties, label.where ?? {})) return 1;
  }
  return 'noActivity' in label ? 1 : 0;
}

interface TimedEvent {
  key: string;
  at: number;
  event: EventEnvelope;
}

function rangeOf(model: ModelFile, events: readonly EventEnvelope[]): { from: number; to: number; events: TimedEvent[] } {
  const timed = events.map((event) => ({ key: event.userId ?? event.anonymousId ?? '', at: Date.parse(event.timestamp), event }));
  let first = Infinity;
  let last = -Infinity;
  for (const { at } of timed) [first, last] = [Math.min(first, at), Math.max(last, at)];
  const from = model.training.from ? Date.parse(model.training.from) : first;
  const to = model.training.to ? Date.parse(model.training.to) : last;
  return { from, to, events: timed.filter((e) => e.key !== '' && e.at >= from && e.at <= to) };
}

/** Each person's events (by userId, else anonymousId: the training reads no identity graph), in time order. */
function byPerson(events: TimedEvent[]): Map<string, TimedEvent[]> {
  const people = new Map<string, TimedEvent[]>();
  for (const e of events) {
    const list = people.get(e.key);
    if (list) list.push(e);
    else people.set(e.key, [e]);
  }
  for (const list of people.values()) list.sort((a, b) => a.at - b.at);
  return people;
}
