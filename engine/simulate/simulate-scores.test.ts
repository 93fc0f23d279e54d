/**
 * A rule reading a trained model's score, in the simulator (the engine's own decide code on a virtual
 * clock): `score ≥ 0.7` enters exactly the people whose score, at one of their page views, is ≥ 0.7 —
 * worked out here by replaying each person's events through the behavior state and the model's formula
 * (probabilityOf over the feature columns), independently of the rule machinery.
 */
import { describe, expect, it } from 'vitest';
import { generateBehavior } from '../../dev/predict/generate-behavior';
import { validateTrainedModels } from '../../rules/load-models';
import { RuleSchema } from '../../rules/schema/rule';
import { applyEvent, emptyState } from '../state/behavior-state';
import { compileFeatures, probabilityOf } from '../match/model-scores';
import { RuleIndex } from '../match/rule-index';
import { ruleJson } from '../../test/support/unit-rules';
import { simulate } from './simulator';

const { models, problems } = validateTrainedModels(['rules/models']);
const model = models.find((m) => m.model.id === 'convert-14d')!.model;

const rule = RuleSchema.parse(ruleJson({
  id: 'likely-buyers',
  trigger: { event: 'page_viewed', conditions: { all: [{ fact: 'score', params: { model: 'convert-14d' }, operator: 'greaterThanInclusive', value: 0.7 }] } },
  entry: { policy: 'once' },
  steps: [{ id: 'done', type: 'exit' }],
}));

describe('the score fact in the simulator', () => {
  it('score ≥ 0.7 enters exactly the people whose score reached 0.7 at a page view', async () => {
    expect(problems).toEqual([]);
    const events = generateBehavior({ people: 150, days: 30, seed: 5 });
    const actions = await simulate({ rules: [{ rule, file: 'likely-buyers.json' }], models: [model], events, env: {} });
    const entered = new Set(actions.filter((a) => a.action === 'enter').map((a) => a.userId));

    const plan = new RuleIndex([{ rule, file: 'likely-buyers.json' }], [], [model]).plan;
    const features = compileFeatures(model.features);
    const expected = new Set<string>();
    const byPerson = new Map<string, typeof events>();
    for (const e of [...events].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp))) byPerson.set(e.userId!, [...(byPerson.get(e.userId!) ?? []), e]);
    for (const [person, list] of byPerson) {
      let state = emptyState(person);
      for (const [i, event] of list.entries()) {
        state = applyEvent(state, event, i + 1, plan);
        if (event.type === 'track' && event.event === 'page_viewed' && probabilityOf(model, features.row(state, state.clock)) >= 0.7) expected.add(person);
      }
    }
    // The sample has both kinds of people, so the test can tell a missing score from a wrong one.
    expect(expected.size).toBeGreaterThan(5);
    expect(expected.size).toBeLessThan(byPerson.size - 5);
    expect([...entered].sort()).toEqual([...expected].sort());
  }, 60_000);
});
