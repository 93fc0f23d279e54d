/**
 * A model's feature row (compileFeatures): the columns a tag or trait feature reads, categories one-hot,
 * and the tag set asked once per row however many tag features the model has.
 */
import { describe, expect, it } from 'vitest';
import type { Feature } from '../../rules/schema/model';
import { emptyState } from '../state/behavior-state';
import type { TagSource } from './facts';
import { compileFeatures } from './model-scores';

const NOW = Date.parse('2026-03-02T10:00:00.000Z');

describe('compileFeatures', () => {
  const features = [
    { name: 'stage', kind: 'tag', tag: 'stage', categories: ['trial', 'paid'] },
    { name: 'pages', kind: 'tag', tag: 'pages' },
    { name: 'vip', kind: 'trait', trait: 'vip' },
    { name: 'engaged', kind: 'tag', tag: 'engaged' },
  ] as Feature[];

  it('reads each tag and trait column, categories one-hot, booleans as 0/1, and asks the tag set once per row for the tags it reads', () => {
    const asked: (readonly string[] | undefined)[] = [];
    const tags: TagSource = {
      compute: async () => ({}),
      valuesAt: (_state, now, only) => {
        expect(now).toBe(NOW);
        asked.push(only);
        return { stage: 'paid', pages: 7, engaged: true };
      },
    };
    const state = { ...emptyState('ann'), traits: { vip: true } };
    const compiled = compileFeatures(features);
    expect(compiled.columns).toEqual(['stage=trial', 'stage=paid', 'pages', 'vip', 'engaged']);
    expect(compiled.row(state, NOW, tags)).toEqual([0, 1, 7, 1, 1]);
    expect(asked).toEqual([['stage', 'pages', 'engaged']]);
    compiled.row(state, NOW, tags);
    expect(asked).toHaveLength(2); // once per row, not cached across rows (the state may have moved on)
  });

  it('without a tag set the tag columns read 0', () => {
    expect(compileFeatures(features).row({ ...emptyState('bo'), traits: {} }, NOW)).toEqual([0, 0, 0, 0, 0]);
  });
});
