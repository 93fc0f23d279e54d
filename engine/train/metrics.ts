/**
 * How good a set of scores is against the labels that happened: AUC (the chance a random positive
 * scores above a random negative; ties count half), log-loss, calibration and lift by decile (decile 1
 * holds the highest scores), and the ROC curve for the model card.
 */
import type { Metrics } from '../../rules/schema/trained-model';

const EPSILON = 1e-12;

export function measure(scores: readonly number[], labels: readonly number[]): Metrics {
  const rows = scores.length;
  const positives = labels.reduce((sum, y) => sum + y, 0);
  const order = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]!);
  return { rows, positives, auc: aucOf(scores, labels, order), logLoss: logLossOf(scores, labels), ...decilesOf(scores, labels, order, positives), roc: rocOf(scores, labels, order, positives) };
}

/** Mann-Whitney AUC over the rows sorted by descending score; tied scores share their ranks. */
function aucOf(scores: readonly number[], labels: readonly number[], order: number[]): number {
  const positives = labels.reduce((sum, y) => sum + y, 0);
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  let negativesAbove = 0;
  let pairs = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    let tiedPositives = 0;
    let tiedNegatives = 0;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!] === 1) tiedPositives++;
      else tiedNegatives++;
      j++;
    }
    // A positive ranks above every negative with a strictly lower score: count the negatives above it.
    pairs += tiedPositives * (negatives - negativesAbove - tiedNegatives) + (tiedPositives * tiedNegatives) / 2;
    negativesAbove += tiedNegatives;
    i = j;
  }
  return pairs / (positives * negatives);
}

function logLossOf(scores: readonly number[], labels: readonly number[]): number {
  if (scores.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(1 - EPSILON, Math.max(EPSILON, scores[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / scores.length;
}

function decilesOf(scores: readonly number[], labels: readonly number[], order: number[], positives: number): Pick<Metrics, 'deciles' | 'calibrationError'> {
  const baseRate = scores.length ? positives / scores.length : 0;
  const deciles: Metrics['deciles'] = [];
  for (let d = 0; d < 10; d++) {
    const slice = order.slice(Math.floor((d * order.length) / 10), Math.floor(((d + 1) * order.length) / 10));
    const count = slice.length;
    const meanScore = count ? slice.reduce((s, i) => s + scores[i]!, 0) / count : 0;
    const positiveRate = count ? slice.reduce((s, i) => s + labels[i]!, 0) / count : 0;
    deciles.push({ decile: d + 1, count, meanScore, positiveRate, lift: baseRate > 0 ? positiveRate / baseRate : 0 });
  }
  const calibrationError = Math.max(0, ...deciles.filter((d) => d.count > 0).map((d) => Math.abs(d.meanScore - d.positiveRate)));
  return { deciles, calibrationError };
}

/** At most ~100 points: one after each percentile of rows (and at every end), enough to draw. */
function rocOf(scores: readonly number[], labels: readonly number[], order: number[], positives: number): [number, number][] {
  const negatives = labels.length - positives;
  const points: [number, number][] = [[0, 0]];
  if (positives === 0 || negatives === 0) return [[0, 0], [1, 1]];
  const step = Math.max(1, Math.floor(order.length / 100));
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]!] === 1) tp++;
    else fp++;
    const last = i === order.length - 1;
    if (last || ((i + 1) % step === 0 && scores[order[i + 1]!] !== scores[order[i]!])) points.push([fp / negatives, tp / positives]);
  }
  return points;
}
