/**
 * Trains a model file on a behavior history: snapshot rows (snapshots.ts), a refusal when the data is
 * too thin, the fit (fit-logistic.ts), the metrics of both periods, and the trained artifact the engine
 * scores with (rules/schema/trained-model.ts). The scores measured are those of probabilityOf, the
 * function the engine calls, on the columns the engine computes.
 *
 * The refusal rule: fewer than `training.minPositives` (default 500) positive labels in the training
 * period, fewer negatives than that, or an evaluation period without both a positive and a negative —
 * a model from less would be noise presented as a prediction.
 */
import type { ModelFile } from '../../rules/schema/model';
import { TRAINED_MODEL_FORMAT, type TrainedModel } from '../../rules/schema/trained-model';
import type { EventEnvelope } from '../events/envelope';
import { probabilityOf } from '../match/model-scores';
import type { TagSet } from '../match/tags';
import { fitLogistic, type FitOptions } from './fit-logistic';
import { InsufficientDataError } from './insufficient-data-error';
import { measure } from './metrics';
import { buildSnapshots } from './snapshots';

export const ALGORITHM = 'logistic regression, L2-regularised (TensorFlow.js 4.22 tfjs-core, CPU backend; Adam on standardised columns)';

export interface TrainOptions extends FitOptions {
  /** The version of the artifact this replaces (the new one is one more). */
  previousVersion?: number;
  /** Said in the artifact: where the events came from. */
  source: string;
  now?: () => Date;
}

export function trainModel(model: ModelFile, events: readonly EventEnvelope[], tags: TagSet, options: TrainOptions): TrainedModel {
  const snapshots = buildSnapshots(model, events, tags);
  const { train, evaluate } = snapshots;
  refuseThinData(model, train.labels, evaluate.labels);
  const fit = fitLogistic(train.rows, train.labels, options);
  const scoresOf = (rows: number[][]) => rows.map((row) => probabilityOf(fit, row));
  const iso = (ms: number) => new Date(ms).toISOString();
  const period = (p: { from: number; to: number; snapshots: number }) => ({ from: iso(p.from), to: iso(p.to), snapshots: p.snapshots });
  return {
    format: TRAINED_MODEL_FORMAT,
    id: model.id,
    version: (options.previousVersion ?? 0) + 1,
    trainedAt: (options.now?.() ?? new Date()).toISOString(),
    label: model.label,
    features: model.features,
    columns: train.columns,
    ...fit,
    algorithm: ALGORITHM,
    training: { train: period(snapshots.periods.train), evaluate: period(snapshots.periods.evaluate), source: options.source },
    metrics: { train: measure(scoresOf(train.rows), train.labels), evaluate: measure(scoresOf(evaluate.rows), evaluate.labels) },
  };
}

function refuseThinData(model: ModelFile, trainLabels: number[], evaluateLabels: number[]): void {
  const positives = trainLabels.reduce((s, y) => s + y, 0);
  const evaluatePositives = evaluateLabels.reduce((s, y) => s + y, 0);
  const min = model.training.minPositives;
  const counts = { rows: trainLabels.length, positives, negatives: trainLabels.length - positives, evaluateRows: evaluateLabels.length, evaluatePositives, minPositives: min };
  const said = `training period: ${counts.rows} snapshots, ${positives} positive and ${counts.negatives} negative labels; evaluation period: ${counts.evaluateRows} snapshots, ${evaluatePositives} positive`;
  if (positives < min) throw new InsufficientDataError(counts, `model "${model.id}": too little data to train: ${positives} positive labels in the training period, at least ${min} are needed (${said}). Widen the training range, sample snapshots more often, or lower training.minPositives knowingly.`);
  if (counts.negatives < min) throw new InsufficientDataError(counts, `model "${model.id}": too few negative labels to train: ${counts.negatives}, at least ${min} are needed (${said}).`);
  if (evaluatePositives === 0 || evaluatePositives === counts.evaluateRows) throw new InsufficientDataError(counts, `model "${model.id}": the evaluation period needs both positive and negative labels to measure the model (${said}). Move training.evaluateFrom or widen the range.`);
}
