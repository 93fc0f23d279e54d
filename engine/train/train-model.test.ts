import { describe, expect, it } from 'vitest';
import { generateBehavior } from '../../dev/predict/generate-behavior';
import { ModelFileSchema, type ModelFile } from '../../rules/schema/model';
import { TagSet } from '../match/tags';
import { InsufficientDataError } from './insufficient-data-error';
import { trainModel } from './train-model';

const MODEL: ModelFile = ModelFileSchema.parse({
  id: 'convert-14d',
  label: { event: 'order_completed', within: '14d' },
  features: [
    { name: 'pricing_views_7d', kind: 'count', event: 'page_viewed', where: { page: 'pricing' }, within: '7d' },
    { name: 'docs_views_7d', kind: 'count', event: 'page_viewed', where: { page: 'docs' }, within: '7d' },
    { name: 'pricing_views_28d', kind: 'count', event: 'page_viewed', where: { page: 'pricing' }, within: '28d' },
    { name: 'page_views_7d', kind: 'count', event: 'page_viewed', within: '7d' },
    { name: 'days_since_pricing', kind: 'recency', event: 'page_viewed', where: { page: 'pricing' }, cap: '60d' },
    { name: 'plan', kind: 'trait', trait: 'plan', categories: ['pro'] },
  ],
  training: { source: { jsonl: 'unused.jsonl' } },
  sampling: { every: '7d', activeWithin: '14d' },
});

const train = (noise: boolean, people = 2500) => trainModel(MODEL, generateBehavior({ people, days: 120, seed: 11, noise }), new TagSet([]), { source: 'generated' });

describe('nudge train on generated behavior', () => {
  it('finds the signal: people who view pricing and docs often and recently convert more (held-out AUC ≥ 0.8, calibrated per decile)', () => {
    const model = train(false);
    const held = model.metrics.evaluate;
    expect(held.positives).toBeGreaterThan(500);
    expect(held.auc).toBeGreaterThanOrEqual(0.8);
    // Per decile, mean score and observed rate within 6 points (deciles of ~700 rows: a rate's standard error is ≤ 2 points).
    expect(held.calibrationError).toBeLessThan(0.06);
    expect(held.deciles[0]!.lift).toBeGreaterThan(2);
    // The split is by time: evaluation snapshots start after the last training label period ends.
    expect(Date.parse(model.training.evaluate.from)).toBeGreaterThanOrEqual(Date.parse(model.training.train.to));
    const weight = (name: string) => model.weights[model.columns.indexOf(name)]!;
    expect(weight('pricing_views_7d')).toBeGreaterThan(0);
    expect(weight('docs_views_7d')).toBeGreaterThan(0);
  }, 60_000);

  it('invents nothing on the same volume of noise: held-out AUC within 0.04 of 0.5', () => {
    const held = train(true).metrics.evaluate;
    // ~9,000 held-out rows, ~1,800 positive: the AUC of a random score has a standard error of ~0.008,
    // so 0.04 is five of them — a model that found a pattern in noise would fail, chance would not.
    expect(held.rows).toBeGreaterThan(5000);
    expect(Math.abs(held.auc - 0.5)).toBeLessThan(0.04);
  }, 60_000);

  it('refuses too little data with the counts, instead of a bad model', () => {
    let error: unknown;
    try {
      train(false, 60);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InsufficientDataError);
    const refused = error as InsufficientDataError;
    expect(refused.counts.positives).toBeLessThan(500);
    expect(refused.message).toContain(`${refused.counts.positives} positive labels in the training period, at least 500 are needed`);
  }, 60_000);
});
