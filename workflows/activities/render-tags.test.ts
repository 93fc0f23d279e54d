/**
 * {{ tags.* }} in message templates: the render function, and the activity that computes the tags from
 * the user's state when a step runs — or takes the tags at entry for a step that runs before the
 * engine has saved the state with the trigger event.
 */
import { describe, expect, it } from 'vitest';
import { tagOf } from '../../test/support/unit-rules';
import { TagSet } from '../../engine/match/tags';
import { emptyState, type UserState } from '../../engine/state/behavior-state';
import { recordingConnectors } from '../../engine/simulate/recording-connectors';
import { createActivities, type PerformStepInput } from './create-activities';
import { MemoryCapStore } from './frequency-caps';
import { render, type TemplateVariables } from './render';
import { MemorySendLedger } from './send-ledger';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');

const variables = (tags: Record<string, unknown>): TemplateVariables => ({
  user: { id: 'ann' },
  traits: { first_name: 'Ann' },
  tags,
  scores: {},
  event: {},
  coupon: { code: null },
  journey: { id: 'j' },
  rule: { id: 'r', version: 1 },
});

describe('render', () => {
  it('renders tags like traits: a stage name, a number, a boolean; no stage renders empty', async () => {
    const template = '{{ traits.first_name }}: {{ tags.funnel_stage }}, {{ tags.visit_depth }} pages{% if tags.high_intent %}, high intent{% endif %}.';
    expect(await render(template, variables({ funnel_stage: 'viewed_pricing', visit_depth: 4, high_intent: true }))).toBe('Ann: viewed_pricing, 4 pages, high intent.');
    expect(await render('[{{ tags.funnel_stage }}]', variables({ funnel_stage: null }))).toBe('[]');
    expect(await render('[{{ tags.funnel_stage | default: "new" }}]', variables({}))).toBe('[new]');
  });
});

describe('the send activity', () => {
  const visits = new TagSet([tagOf({ name: 'visits', kind: 'count', event: 'page_viewed', within: '7d' })]);
  const stateWith = (views: number, lastSeq: number): UserState => ({ ...emptyState('ann'), lastSeq, clock: T0, traits: { email: 'ann@example.com' }, counters: { page_viewed: Array.from({ length: views }, (_, i) => T0 - i) } });
  const input = (entry?: PerformStepInput['entry']): PerformStepInput => ({
    journeyId: 'journey/r/ann/m1',
    userId: 'ann',
    rule: { id: 'r', version: 1 },
    step: { id: 'hello', type: 'email', subject: 'You came {{ tags.visits }} times', text: 't' },
    trigger: { messageId: 'm1', event: 'page_viewed', timestamp: new Date(T0).toISOString(), properties: {} },
    traits: {},
    coupon: null,
    ...(entry ? { entry } : {}),
  });
  const subjectOf = async (state: UserState, entry?: PerformStepInput['entry']) => {
    const activities = createActivities({ connectors: recordingConnectors({}), ledger: new MemorySendLedger(), loadUserState: async () => state, clock: () => T0, caps: new MemoryCapStore(), consentMode: 'opt-out', tags: visits });
    const result = await activities.performStep(input(entry));
    return result.status === 'done' ? result.details.subject : result;
  };

  it('computes the tags from the state when the step runs', async () => {
    expect(await subjectOf(stateWith(3, 10))).toBe('You came 3 times');
    expect(await subjectOf(stateWith(3, 10), { seq: 10, tags: { visits: 99 } })).toBe('You came 3 times');
  });

  it('uses the tags at entry while the state does not hold the trigger event yet', async () => {
    expect(await subjectOf(stateWith(2, 9), { seq: 10, tags: { visits: 3 } })).toBe('You came 3 times');
  });
});
