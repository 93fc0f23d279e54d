/** The ownership fingerprint covers the trained models: engines scoring with different models refuse to share partitions. */
import { describe, expect, it } from 'vitest';
import { validateTrainedModels } from '../../rules/load-models';
import { ruleSetFingerprint } from './fingerprint';

const [loaded] = validateTrainedModels(['rules/models']).models;

describe('ruleSetFingerprint', () => {
  it('differs when the models differ, in any weight; is the same for the same models', () => {
    const model = loaded!;
    const retrained = { ...model, model: { ...model.model, weights: model.model.weights.map((w, i) => (i === 0 ? w + 1e-9 : w)) } };
    const none = ruleSetFingerprint([], [], 4);
    expect(ruleSetFingerprint([], [], 4, [model])).not.toBe(none);
    expect(ruleSetFingerprint([], [], 4, [retrained])).not.toBe(ruleSetFingerprint([], [], 4, [model]));
    expect(ruleSetFingerprint([], [], 4, [{ ...model, file: 'elsewhere.model.json' }])).toBe(ruleSetFingerprint([], [], 4, [model]));
    expect(ruleSetFingerprint([], [], 4, [])).toBe(none);
  });
});
