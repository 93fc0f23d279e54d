/**
 * The trigger re-check's evaluation (evaluateJourneyConditions with `asOf`): the same compiled
 * conditions the engine matched with, on the person's current state, with windows ending at the
 * decision's time — late events before it count, events after it do not.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectorSet } from '../../connectors/channels';
import type { EventEnvelope } from '../../engine/events/envelope';
import { RuleIndex } from '../../engine/match/rule-index';
import { applyEvent, emptyState, type UserState } from '../../engine/state/behavior-state';
import type { TopLevelCondition } from '../../rules/schema/conditions';
import { countOf, eventAt, ruleOf } from '../../test/support/unit-rules';
import { createActivities, type ActivityDeps } from './create-activities';
import { MemorySendLedger } from './send-ledger';

const T = Date.parse('2025-05-01T12:00:00.000Z');
const MINUTE = 60_000;
const TRIGGER: TopLevelCondition = {
  all: [eventAt('$.properties.page', 'equal', 'pricing'), countOf('page_viewed', '7d', 'greaterThanInclusive', 3, { page: 'pricing' }), countOf('order_completed', '7d', 'equal', 0)],
};
const rule = ruleOf({ id: 'pricing', trigger: { event: 'page_viewed', conditions: TRIGGER }, allowedLateness: '2m' });
const index = new RuleIndex([{ rule, file: 'pricing.json' }]);

const view = (at: number, n: number): EventEnvelope => ({ type: 'page', userId: 'ann', name: 'pricing', messageId: `view-${n}`, timestamp: new Date(at).toISOString(), properties: { page: 'pricing' }, context: {} }) as EventEnvelope;
const order = (at: number, id = 'order-1'): EventEnvelope => ({ type: 'track', event: 'order_completed', userId: 'ann', messageId: id, timestamp: new Date(at).toISOString(), properties: {}, context: {} });

/** The person after these events, applied in the order given (as they arrived), and the trigger's sequence. */
function arrived(events: EventEnvelope[]): UserState {
  return events.reduce((state, event, i) => applyEvent(state, event, i + 1, index.plan), emptyState('ann'));
}

const views = [view(T - 20 * MINUTE, 1), view(T - 10 * MINUTE, 2), view(T, 3)];
const trigger = { messageId: 'view-3', event: 'page_viewed', timestamp: new Date(T).toISOString(), properties: { page: 'pricing' } };

/** `asOf` null: as the other journey conditions are evaluated, at the current clock. */
function recheck(state: UserState, asOf: { at: number; seq: number } | null = { at: T, seq: 3 }, clock = T + 2 * MINUTE) {
  const deps: ActivityDeps = {
    connectors: {} as ConnectorSet, // (conditions only: nothing is sent)
    ledger: new MemorySendLedger(),
    loadUserState: async () => state,
    clock: () => clock,
    caps: {} as ActivityDeps['caps'],
    consentMode: 'opt-out',
    tags: index.tags,
  };
  return createActivities(deps).evaluateJourneyConditions({ userId: 'ann', conditions: TRIGGER, event: trigger, ...(asOf ? { asOf } : {}) });
}

describe('evaluateJourneyConditions as of the trigger', () => {
  it('still holds when nothing arrived late', async () => {
    expect(await recheck(arrived(views))).toBe(true);
  });

  it('no longer holds once an order placed before the trigger arrived after it', async () => {
    expect(await recheck(arrived([...views, order(T - 15 * MINUTE)]))).toBe(false);
  });

  it('does not count what happened after the trigger (an order then is the exit event\'s business)', async () => {
    const state = arrived([...views, order(T + MINUTE)]);
    expect(await recheck(state)).toBe(true);
    // (evaluated at the current clock instead, the same state would fail: the as-of time is what matters)
    expect(await recheck(state, null)).toBe(false);
  });

  it('counts an event at exactly the trigger time', async () => {
    expect(await recheck(arrived([...views, order(T)]))).toBe(false);
  });

  it('lets the decision stand when the stored state is older than the trigger (the engine has not saved it yet)', async () => {
    const before = arrived([view(T - 20 * MINUTE, 1), view(T - 10 * MINUTE, 2)]);
    expect(await recheck(before, { at: T, seq: 3 })).toBe(true);
  });
});
