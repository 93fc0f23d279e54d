/**
 * Model scores in `nudge profile` and `nudge export`: the trained models beside the rule files, scoring
 * the person's state with the engine's ScoreSet (the code the `score` fact runs), shown per model.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config';
import type { EventEnvelope } from '../events/envelope';
import { compileFeatures, probabilityOf, ScoreSet } from '../match/model-scores';
import { NO_TAGS } from '../match/tags';
import { RuleIndex } from '../match/rule-index';
import { applyEvent, emptyState, type UserState } from '../state/behavior-state';
import type { UserData } from '../privacy/find-user-data';
import { toExport } from '../privacy/export-user';
import { scoreSetOf } from './profile-command';
import { formatProfile, profileFrom } from './user-profile';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const scores = scoreSetOf(loadConfig({ NUDGE_RULES_DIR: 'rules' }), NO_TAGS);
const model = scores.models.find((m) => m.id === 'convert-14d')!;

function viewer(pages: string[]): UserState {
  const plan = new RuleIndex([], [], [model]).plan;
  let state = emptyState('ann');
  for (const [i, page] of pages.entries()) {
    const event = { type: 'track', event: 'page_viewed', userId: 'ann', messageId: `m${i}`, timestamp: new Date(T0 + i * 3_600_000).toISOString(), properties: { page }, context: {} } as EventEnvelope;
    state = applyEvent(state, event, i + 1, plan);
  }
  return state;
}

describe('scores in profiles and exports', () => {
  it('loads the example model from NUDGE_RULES_DIR/models', () => {
    expect(scores.ids).toEqual(['convert-14d']);
  });

  it('the profile shows each model\'s score, the model formula over the person\'s feature columns', () => {
    const state = viewer(['pricing', 'docs', 'pricing', 'docs']);
    const expected = probabilityOf(model, compileFeatures(model.features).row(state, state.clock));
    const profile = profileFrom(state, {}, undefined, null, scores.scoresAt(state, state.clock));
    expect(profile.scores).toEqual({ 'convert-14d': expected });
    expect(formatProfile(profile)).toContain(`\nscores (trained models, now)\n  convert-14d  ${expected.toFixed(3)}`);
    // A person with more pricing and docs views scores differently: the score reads the state.
    const keen = viewer(['pricing', 'docs', 'pricing', 'docs', 'pricing', 'pricing', 'docs']);
    expect(scores.scoresAt(keen, keen.clock)['convert-14d']).not.toBeCloseTo(expected, 6);
  });

  it('no trained model: neither the profile nor the export has scores', () => {
    const state = viewer(['pricing']);
    expect(formatProfile(profileFrom(state, {}, undefined, null, new ScoreSet().scoresAt(state, T0)))).not.toContain('scores');
    expect(toExport(held(state), new Date(T0)).profile).not.toHaveProperty('scores');
  });

  it('the export carries the scores computed from the profile', () => {
    const state = viewer(['pricing', 'docs']);
    const computed = scores.scoresAt(state, state.clock);
    expect(toExport(held(state), new Date(T0), undefined, computed).profile?.scores).toEqual(computed);
  });
});

function held(state: UserState): UserData {
  return { userKey: 'ann', userKeys: ['ann'], identity: null, state, otherStates: [], journeys: [], sends: [], sendIndexes: [], coupons: [], linked: [], events: [], rawEvents: [], unattributed: [] } as UserData;
}
