/**
 * Scores of trained models (rules/models/<id>.model.json), computed from a person's behavior state at a
 * time: the `score` fact, `scores` in templates and profiles. The feature columns are read with the
 * fact code rules use (facts.ts: count, secondsSinceLast; the tag set; traits), the same function
 * `nudge train` builds its training rows with (featureRow), so what was trained is what scores. Pure:
 * the trained artifact is data passed in, like rules.
 */
import type { Condition } from '../../rules/schema/conditions';
import { parseDuration } from '../../rules/schema/parse-duration';
import type { Feature } from '../../rules/schema/model';
import type { TrainedModel } from '../../rules/schema/trained-model';
import type { UserState } from '../state/behavior-state';
import { compileFact, type EvaluationContext, type TagSource } from './facts';

/** Scores by model id, as the `score` fact reads them. */
export interface ScoreSource {
  /** The probability the model gives the person at `now`; undefined for a model not loaded. */
  scoreOf(model: string, state: UserState, now: number): number | undefined;
}

/** What the readers of one row share: the tag values, computed once for every tag feature of the row. */
interface RowScope {
  ctx: EvaluationContext;
  tagValues?: Record<string, unknown>;
}

/** Reads one feature's columns for a person as of `scope.ctx.now`. */
type ColumnReader = (scope: RowScope, out: number[]) => void;

export interface CompiledFeatures {
  /** One name per column: a categorical feature is one "<name>=<value>" column per category. */
  columns: string[];
  /** The feature columns of a person at `now`; `tags` computes the tag features (absent: tag columns read 0). */
  row(state: UserState, now: number, tags?: TagSource): number[];
}

const NO_TAGS = () => ({});

export function compileFeatures(features: readonly Feature[]): CompiledFeatures {
  const columns: string[] = [];
  const readers: ColumnReader[] = [];
  const tagNames = Object.freeze(features.flatMap((f) => (f.kind === 'tag' ? [f.tag] : [])));
  for (const [i, feature] of features.entries()) {
    const at = ['features', i];
    switch (feature.kind) {
      case 'count': {
        const read = compileFact('count', { event: feature.event, where: feature.where, within: feature.within }, undefined, at);
        columns.push(feature.name);
        readers.push(({ ctx }, out) => void out.push(Math.min(read(ctx, NO_TAGS) as number, feature.max)));
        break;
      }
      case 'recency': {
        const read = compileFact('secondsSinceLast', { event: feature.event, where: feature.where }, undefined, at);
        const capDays = parseDuration(feature.cap) / 86_400_000;
        columns.push(feature.name);
        readers.push(({ ctx }, out) => {
          const seconds = read(ctx, NO_TAGS) as number | null;
          out.push(seconds === null ? capDays : Math.min(seconds / 86_400, capDays));
        });
        break;
      }
      case 'tag':
      case 'trait': {
        // valuesAt computes every tag the model reads: once per row, whichever tag feature asks first.
        const value = (scope: RowScope): unknown =>
          feature.kind === 'tag'
            ? (scope.tagValues ??= scope.ctx.tags?.valuesAt?.(scope.ctx.state, scope.ctx.now, tagNames) ?? {})[feature.tag]
            : scope.ctx.traits[feature.trait];
        if (feature.categories) {
          const categories = feature.categories;
          columns.push(...categories.map((c) => `${feature.name}=${c}`));
          readers.push((scope, out) => {
            const v = value(scope);
            for (const c of categories) out.push(v === c ? 1 : 0);
          });
        } else {
          columns.push(feature.name);
          readers.push((scope, out) => void out.push(numberOf(value(scope))));
        }
        break;
      }
    }
  }
  return {
    columns,
    row(state, now, tags) {
      // Features describe the person, as tags do: secondsSinceLast looks up to and including now.
      const scope: RowScope = { ctx: { event: null, traits: state.traits, state, now, before: now + 1, ...(tags ? { tags } : {}) } };
      const out: number[] = [];
      for (const read of readers) read(scope, out);
      return out;
    },
  };
}

function numberOf(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * What a model's features need the state to keep, as condition trees for the counter plan: a count
 * up to its max inside its window; the latest occurrences for recency. Tags keep their own counters.
 */
export function featureConditions(features: readonly Feature[]): Condition[] {
  const leaves: Condition[] = [];
  for (const f of features) {
    if (f.kind === 'count') leaves.push({ fact: 'count', params: { event: f.event, ...(f.where ? { where: f.where } : {}), within: f.within }, operator: 'lessThan', value: f.max });
    else if (f.kind === 'recency') leaves.push({ fact: 'secondsSinceLast', params: { event: f.event, ...(f.where ? { where: f.where } : {}) }, operator: 'greaterThan', value: 0 });
  }
  return leaves.length ? [{ all: leaves }] : [];
}

/** The probability of a trained logistic model for one row of feature columns. */
export function probabilityOf(model: Pick<TrainedModel, 'intercept' | 'weights' | 'mean' | 'scale'>, row: readonly number[]): number {
  let z = model.intercept;
  for (let i = 0; i < model.weights.length; i++) z += model.weights[i]! * ((row[i]! - model.mean[i]!) / model.scale[i]!);
  return 1 / (1 + Math.exp(-z));
}

/** The loaded models, scoring with the tag set their tag features read. */
export class ScoreSet implements ScoreSource {
  private readonly byId: Map<string, { model: TrainedModel; features: CompiledFeatures }>;

  constructor(readonly models: readonly TrainedModel[] = [], private readonly tags?: TagSource) {
    this.byId = new Map(models.map((model) => [model.id, { model, features: compileFeatures(model.features) }]));
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  scoreOf(model: string, state: UserState, now: number): number | undefined {
    const entry = this.byId.get(model);
    return entry && probabilityOf(entry.model, entry.features.row(state, now, this.tags));
  }

  /** Every model's score of the person at `now`, by id (templates, profiles, exports). */
  scoresAt(state: UserState, now: number): Record<string, number> {
    const scores: Record<string, number> = {};
    for (const id of this.byId.keys()) scores[id] = this.scoreOf(id, state, now)!;
    return scores;
  }

  /** The counter-plan trees of every model's features. */
  conditions(): Condition[] {
    return this.models.flatMap((m) => featureConditions(m.features));
  }
}
