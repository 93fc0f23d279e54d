/**
 * {{ scores["<model>"] }} in message templates: the engine's decision puts each model's score of the
 * person at entry into the journey input (the score the trigger saw), and the send activity renders
 * that, whatever the person's state when the step runs (the worker loads no models).
 */
import { describe, expect, it } from 'vitest';
import { validateTrainedModels } from '../../rules/load-models';
import { ruleOf } from '../../test/support/unit-rules';
import { decideEvent } from '../../engine/decide/decide';
import type { EventEnvelope } from '../../engine/events/envelope';
import { ScoreSet } from '../../engine/match/model-scores';
import { RuleIndex } from '../../engine/match/rule-index';
import { applyEvent, emptyState, type UserState } from '../../engine/state/behavior-state';
import { recordingConnectors } from '../../engine/simulate/recording-connectors';
import type { JourneyInput } from '../journey/journey-input';
import { createActivities, type PerformStepInput } from './create-activities';
import { MemoryCapStore } from './frequency-caps';
import { MemorySendLedger } from './send-ledger';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const HOUR = 3_600_000;
const model = validateTrainedModels(['rules/models']).models.find((m) => m.model.id === 'convert-14d')!.model;

const rule = ruleOf({
  id: 'likely-buyers',
  trigger: { event: 'page_viewed', conditions: { all: [{ fact: 'score', params: { model: 'convert-14d' }, operator: 'greaterThanInclusive', value: 0 }] } },
  entry: { policy: 'everyTime' },
  steps: [{ id: 'hello', type: 'email', subject: 'score {{ scores["convert-14d"] | times: 100 | round }}%', text: 't' }],
});
const index = new RuleIndex([{ rule, file: 'likely-buyers.json' }], [], [model]);
const view = (page: string, at: number, n: number): EventEnvelope =>
  ({ type: 'track', event: 'page_viewed', userId: 'ann', messageId: `m${n}`, timestamp: new Date(at).toISOString(), properties: { page }, context: {} }) as EventEnvelope;

/** Ann's state after a few pricing and docs views, and the journey her last view starts. */
function entered(): { state: UserState; input: JourneyInput } {
  const events = ['pricing', 'docs', 'pricing', 'docs', 'pricing'].map((page, i) => view(page, T0 + i * HOUR, i + 1));
  let state: UserState = { ...emptyState('ann'), traits: { email: 'ann@example.com' } };
  for (const [i, event] of events.slice(0, -1).entries()) state = applyEvent(state, event, i + 1, index.plan);
  const decision = decideEvent({ rules: index, waitScale: 1 }, state, events.at(-1)!, events.length, 'ann');
  const start = decision.effects.find((e) => e.kind === 'start');
  if (!start || start.kind !== 'start') throw new Error('expected the journey to start');
  return { state: decision.state!, input: start.input };
}

async function subjectOf(input: JourneyInput, state: UserState): Promise<unknown> {
  const activities = createActivities({ connectors: recordingConnectors({}), ledger: new MemorySendLedger(), loadUserState: async () => state, clock: () => T0, caps: new MemoryCapStore(), consentMode: 'opt-out' });
  const step: PerformStepInput = { journeyId: input.journeyId, userId: 'ann', rule: { id: rule.id, version: rule.version }, step: rule.steps[0] as PerformStepInput['step'], trigger: input.trigger, traits: input.traits, coupon: null, ...(input.entry ? { entry: input.entry } : {}) };
  const result = await activities.performStep(step);
  return result.status === 'done' ? result.details.subject : result;
}

describe('scores in templates', () => {
  it('the journey input carries the score at entry, computed by the same ScoreSet as the rule', () => {
    const { state, input } = entered();
    const expected = new ScoreSet([model]).scoresAt(state, state.clock)['convert-14d']!;
    expect(input.entry?.scores).toEqual({ 'convert-14d': expected });
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(1);
  });

  it('renders the entry score, also when the step runs after the state changed', async () => {
    const { state, input } = entered();
    const percent = `score ${Math.round(input.entry!.scores!['convert-14d']! * 100)}%`;
    expect(percent).not.toBe('score 0%'); // so the case without scores below tells them apart
    expect(await subjectOf(input, state)).toBe(percent);
    const later = applyEvent(state, { type: 'track', event: 'order_completed', userId: 'ann', messageId: 'o1', timestamp: new Date(T0 + 9 * HOUR).toISOString(), properties: {}, context: {} } as EventEnvelope, 99, index.plan);
    expect(await subjectOf(input, later)).toBe(percent);
  });

  it('a journey started without models renders no score', async () => {
    const { state, input } = entered();
    const { scores: _scores, ...withoutScores } = input.entry!;
    expect(await subjectOf({ ...input, entry: withoutScores }, state)).toBe('score 0%');
  });
});
