/**
 * Audience entries decided in the partition: the conditions at the run's time, the entry policy, a
 * journey id that names the run (so a repeated entry is the same journey), and nobody entered for a
 * rule that is no audience or a person who no longer matches.
 */
import { describe, expect, it } from 'vitest';
import { ruleOf, sinceLast, traitAt } from '../../test/support/unit-rules';
import { RuleIndex } from '../match/rule-index';
import { emptyState, type UserState } from '../state/behavior-state';
import { decideAudienceEntry } from './decide-audience';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const DAY = 86_400_000;

const oneOff = ruleOf({ id: 'spring-offer', trigger: { oneOff: {}, conditions: { all: [traitAt('$.intent', 'equal', 'high')] } }, entry: { policy: 'everyTime' } });
const winBack = ruleOf({ id: 'win-back', trigger: { schedule: { cron: '0 9 * * 1' }, conditions: { all: [sinceLast('page_viewed', 'greaterThanInclusive', 7 * 86_400)] } }, entry: { policy: 'once' } });
const eventRule = ruleOf({ id: 'on-event' });
const ctx = { rules: new RuleIndex([oneOff, winBack, eventRule].map((rule) => ({ rule, file: `${rule.id}.json` }))), waitScale: 1 };

const person = (traits: Record<string, unknown>, extra: Partial<UserState> = {}): UserState => ({ ...emptyState('ann'), lastSeq: 3, clock: T0 - DAY, traits, ...extra });
const control = (ruleId: string, runId = 'launch-1') => ({ person: 'ann', ruleId, runId, at: T0 });

describe('decideAudienceEntry', () => {
  it('enters a matching person under a journey id naming the run, recording the entry at the run time', () => {
    const decision = decideAudienceEntry(ctx, person({ intent: 'high' }), control('spring-offer'), 10);
    expect(decision.outcome.decisions).toEqual([expect.objectContaining({ ruleId: 'spring-offer', outcome: 'started', workflowId: 'journey/spring-offer/ann/audience:launch-1' })]);
    expect(decision.effects).toEqual([expect.objectContaining({ kind: 'start', input: expect.objectContaining({ trigger: expect.objectContaining({ event: '$audience', messageId: 'audience:launch-1' }) }) })]);
    expect(decision.state?.entries['spring-offer']).toMatchObject({ lastEnteredAt: T0, entries: 1 });
    expect(decision.state?.lastSeq).toBe(10);
  });

  it('does not enter a person who no longer matches, nor one already in the journey, nor a replayed entry', () => {
    expect(decideAudienceEntry(ctx, person({ intent: 'low' }), control('spring-offer'), 10).outcome.decisions).toEqual([expect.objectContaining({ outcome: 'no_match' })]);
    const entered = decideAudienceEntry(ctx, person({ intent: 'high' }), control('spring-offer'), 10).state!;
    expect(decideAudienceEntry(ctx, entered, control('spring-offer', 'launch-2'), 11).outcome.decisions).toEqual([expect.objectContaining({ outcome: 'already_in_journey' })]);
    expect(decideAudienceEntry(ctx, entered, control('spring-offer'), 10).outcome.duplicate).toBe(true);
  });

  it('evaluates secondsSinceLast at the run time, not at the person\'s last event', () => {
    const lastVisit = T0 - 8 * DAY;
    const quiet = person({}, { clock: lastVisit, counters: { page_viewed: [lastVisit] }, counterIds: { page_viewed: ['m1'] } });
    const decision = decideAudienceEntry(ctx, quiet, control('win-back', '2026-03-02T09:00'), 10);
    expect(decision.outcome.decisions).toEqual([expect.objectContaining({ outcome: 'started', workflowId: 'journey/win-back/ann/once' })]);
    const recent = person({}, { clock: T0 - DAY, counters: { page_viewed: [T0 - DAY] }, counterIds: { page_viewed: ['m1'] } });
    expect(decideAudienceEntry(ctx, recent, control('win-back', '2026-03-02T09:00'), 10).outcome.decisions).toEqual([expect.objectContaining({ outcome: 'no_match' })]);
  });

  it('enters nobody for an event rule, an unknown rule or a person merged away', () => {
    expect(decideAudienceEntry(ctx, person({ intent: 'high' }), control('on-event'), 10).effects).toEqual([]);
    expect(decideAudienceEntry(ctx, person({ intent: 'high' }), control('gone'), 10).effects).toEqual([]);
    expect(decideAudienceEntry(ctx, person({ intent: 'high' }, { mergedInto: 'bob' }), control('spring-offer'), 10)).toMatchObject({ state: null, effects: [] });
  });
});
