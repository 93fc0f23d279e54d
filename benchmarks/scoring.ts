/**
 * `npm run bench:scoring`: what predictive scores cost.
 * 1. Per event: decideEvent (the engine's core) over generated events for a rule whose trigger reads a
 *    score, against the same events and rule without the score leaf (the bare baseline, same run).
 * 2. Training: the chosen fit (tfjs-core logistic regression) and the other candidate
 *    (ml-logistic-regression) on the same generated snapshot rows — held-out AUC and time — then the
 *    chosen fit on 1M snapshot rows.
 * 3. Model size: the example trained model's bytes.
 */
import { readFileSync } from 'node:fs';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { generateBehavior, mulberry32 } from '../dev/predict/generate-behavior';
import { decideEvent } from '../engine/decide/decide';
import { RuleIndex } from '../engine/match/rule-index';
import { probabilityOf } from '../engine/match/model-scores';
import { emptyState, type UserState } from '../engine/state/behavior-state';
import { TagSet } from '../engine/match/tags';
import { fitLogistic, standardisation } from '../engine/train/fit-logistic';
import { measure } from '../engine/train/metrics';
import { buildSnapshots } from '../engine/train/snapshots';
import { loadModelFile } from '../rules/load-models';
import { RuleSchema } from '../rules/schema/rule';
import { TrainedModelSchema } from '../rules/schema/trained-model';

const ARTIFACT = 'rules/models/convert-14d.model.json';
const model = TrainedModelSchema.parse(JSON.parse(readFileSync(ARTIFACT, 'utf8')));
const pricing = { fact: 'count', params: { event: 'page_viewed', where: { page: 'pricing' }, within: '7d' }, operator: 'greaterThanInclusive', value: 1 };
const ruleWith = (leaves: unknown[]) => RuleSchema.parse({ id: 'bench', name: 'bench', version: 1, enabled: true, trigger: { event: 'page_viewed', conditions: { all: leaves } }, entry: { policy: 'everyTime' }, steps: [{ id: 'done', type: 'exit' }] });

function eventsPerSecond(index: RuleIndex, events: ReturnType<typeof generateBehavior>): number {
  const states = new Map<string, UserState>();
  const started = performance.now();
  for (const [seq, event] of events.entries()) {
    const key = event.userId!;
    const decision = decideEvent({ rules: index, waitScale: 1 }, states.get(key) ?? emptyState(key), event, seq + 1, key);
    if (decision.state) states.set(key, decision.state);
  }
  return events.length / ((performance.now() - started) / 1000);
}

const events = generateBehavior({ people: 2000, days: 60, seed: 3 }).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
const bare = new RuleIndex([{ rule: ruleWith([pricing]), file: 'bench.json' }]);
const scored = new RuleIndex([{ rule: ruleWith([pricing, { fact: 'score', params: { model: 'convert-14d' }, operator: 'greaterThanInclusive', value: 0.7 }]), file: 'bench.json' }], [], [model]);
eventsPerSecond(bare, events.slice(0, 20_000)); // warm-up
eventsPerSecond(scored, events.slice(0, 20_000));
const baseline = eventsPerSecond(bare, events);
const withScore = eventsPerSecond(scored, events);
console.log(`per event (${events.length} events): without scoring ${baseline.toFixed(0)} events/s (${(1e6 / baseline).toFixed(2)} µs); with a score leaf ${withScore.toFixed(0)} events/s (${(1e6 / withScore).toFixed(2)} µs)`);

// Candidates on the same snapshot rows.
const snapshots = buildSnapshots(loadModelFile('rules/models/convert-14d.json'), generateBehavior({ people: 1500, days: 120, seed: 9 }), new TagSet([]));
const { train, evaluate } = snapshots;
let started = performance.now();
const chosen = fitLogistic(train.rows, train.labels);
const chosenSeconds = (performance.now() - started) / 1000;
const chosenAuc = measure(evaluate.rows.map((r) => probabilityOf(chosen, r)), evaluate.labels).auc;
started = performance.now();
const columns = train.columns.length;
const { mean, scale } = standardisation(train.rows, columns);
const standardised = (rows: number[][]) => new Matrix(rows.map((r) => [...r.map((x, c) => (x - mean[c]!) / scale[c]!), 1]));
const other = new LogisticRegression({ numSteps: 300, learningRate: 1 / train.rows.length });
other.train(standardised(train.rows), Matrix.columnVector(train.labels));
const otherSeconds = (performance.now() - started) / 1000;
const otherScores = other.classifiers[0]!.testScores(standardised(evaluate.rows));
const otherAuc = measure(otherScores, evaluate.labels).auc;
console.log(`candidates on ${train.rows.length} training / ${evaluate.rows.length} held-out rows, 300 steps each: ml-logistic-regression AUC ${otherAuc.toFixed(3)} in ${otherSeconds.toFixed(1)}s; tfjs-core logistic regression AUC ${chosenAuc.toFixed(3)} in ${chosenSeconds.toFixed(1)}s`);

// 1M snapshot rows: columns drawn like the example's, labels from a logistic of them.
const random = mulberry32(1);
const million = 1_000_000;
const rows: number[][] = [];
const labels: number[] = [];
for (let i = 0; i < million; i++) {
  const row = Array.from({ length: columns }, () => Math.floor(random() * 6));
  rows.push(row);
  labels.push(random() < 1 / (1 + Math.exp(-(row[0]! + row[1]! - 5) / 2)) ? 1 : 0);
}
started = performance.now();
fitLogistic(rows, labels);
const millionSeconds = (performance.now() - started) / 1000;
console.log(`training on 1,000,000 snapshot rows × ${columns} columns (300 steps): ${millionSeconds.toFixed(1)}s`);
console.log(`model size: ${readFileSync(ARTIFACT).length} bytes (${ARTIFACT}, with its metrics and ROC points); ${model.weights.length} weights`);
console.log(`ratio (scoring cost per event, with / without): ${(baseline / withScore).toFixed(2)}x; training speed, tfjs-core / ml-logistic-regression: ${(otherSeconds / chosenSeconds).toFixed(1)}x faster`);
