/**
 * Stored states of older versions, as the old code wrote them (fixtures/README.md), read as the current
 * version: missing maps filled, misaligned counter ids rebuilt as unknown, markers from before
 * journey-ended notices still marked as such (the engine asks Temporal about them once); v2 states get
 * their send hours seeded from the event times they hold.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveLegacyMarkers } from '../ingest/legacy-markers';
import type { JourneyStarter } from '../../platform/temporal/journey-starter';
import { applyEvent, countWithin, emptyState } from './behavior-state';
import { buildCounterPlan } from './counter-plan';
import { mergeStates } from './merge-states';
import { STATE_VERSION, UnreadableStateError, upgradeState } from './state-version';
import { learnedSendHour, sendHoursFromTimes } from './send-hours';
import { loadRules } from '../../rules/load-rules';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, any>;
const PRICING = 'page_viewed|[["page","pricing"]]';
const plan = buildCounterPlan(loadRules(['rules/pricing-hesitation.json']).map((loaded) => loaded.rule));

describe('upgradeState from v1', () => {
  it('a state from before consent, trait times, counter ids and journey-ended notices: fills them, and keeps the marker a legacy one', () => {
    const old = fixture('v1-before-notices.json');
    const state = upgradeState(old, 'ann');
    expect(state).toEqual({
      ...old,
      v: STATE_VERSION,
      counterIds: { [PRICING]: ['', '', ''] },
      consent: {},
      traitsUpdatedAt: {},
      journeys: { 'pricing-hesitation': { ...old.journeys['pricing-hesitation'], endNotice: false } },
      sendHours: sendHoursFromTimes(old.counters[PRICING]),
    });
    expect(countWithin(state, PRICING, 7 * 86_400_000, state.clock)).toBe(3);
  });

  it('the last v1 state: everything kept as it was, only the version changes', () => {
    const old = fixture('v1-last.json');
    expect(upgradeState(old, 'bea')).toEqual({ ...old, v: STATE_VERSION, sendHours: sendHoursFromTimes(old.counters[PRICING]) });
    expect(upgradeState(old, 'bea').journeys['pricing-hesitation']!.endNotice).toBe(true);
  });

  it('counter ids that no longer line up with their timestamps are rebuilt as unknown, never re-paired', () => {
    const old = fixture('v1-misaligned-counter-ids.json');
    expect(old.counters[PRICING]).toHaveLength(4);
    expect(old.counterIds[PRICING]).toHaveLength(3);
    expect(upgradeState(old, 'bea').counterIds).toEqual({ [PRICING]: ['', '', '', ''] });
  });

  it('does not change what it reads', () => {
    const old = fixture('v1-before-notices.json');
    const copy = structuredClone(old);
    upgradeState(old, 'ann');
    expect(old).toEqual(copy);
  });

  it('an upgraded legacy marker is still checked with Temporal once; a marker with a notice is not', async () => {
    const asked: string[] = [];
    const journeys = { isRunning: async (workflowId: string) => (asked.push(workflowId), false) } as unknown as JourneyStarter;
    const legacy = upgradeState(fixture('v1-before-notices.json'), 'ann');
    expect((await resolveLegacyMarkers(legacy, journeys))?.journeys).toEqual({});
    expect(asked).toEqual(['journey/pricing-hesitation/ann/pv-3']);
    expect(await resolveLegacyMarkers(upgradeState(fixture('v1-last.json'), 'bea'), journeys)).toBeNull();
    expect(asked).toHaveLength(1);
  });

  it('an upgraded state takes events and merges as a current one', () => {
    const upgraded = upgradeState(fixture('v1-before-notices.json'), 'ann');
    const event = { type: 'track', event: 'page_viewed', userId: 'ann', messageId: 'pv-4', timestamp: '2025-03-01T10:40:00.000Z', properties: { page: 'pricing' }, context: {} } as const;
    const next = applyEvent(upgraded, event, 5, plan);
    expect(next.counterIds[PRICING]).toEqual(['pv-4', '', '', '']);
    expect(next.v).toBe(STATE_VERSION);
    const merged = mergeStates(upgradeState(fixture('v1-last.json'), 'bea'), next, plan).state;
    expect(merged.v).toBe(STATE_VERSION);
    expect(merged.counters[PRICING]!.length).toBe(merged.counterIds[PRICING]!.length);
  });
});

describe('upgradeState from v2', () => {
  it('the last v2 state: everything kept, send hours seeded from its counters, each event once', () => {
    const old = fixture('v2-last.json');
    const state = upgradeState(old, 'cas');
    const { sendHours, ...rest } = state;
    expect(rest).toEqual({ ...old, v: STATE_VERSION });
    // pricing views at 19:10, 19:20, 19:30 UTC on three days, one order at 08:30
    expect(Object.keys(sendHours.active).sort()).toEqual(['19', '8']);
    expect(sendHours.engaged).toEqual({});
    expect(sendHours.at).toBe(old.clock);
    expect(learnedSendHour(sendHours)).toEqual({ hourUtc: 19, source: 'activity' });
  });

  it('an event counted by two counters seeds one hour once', () => {
    const old = { ...fixture('v2-last.json'), counters: { a: [1000], b: [1000] }, counterIds: { a: ['m-1'], b: ['m-1'] } };
    expect(upgradeState(old, 'cas').sendHours.active).toEqual({ 0: 1 });
  });

  it('a v1 state goes through v2 to the current version', () => {
    expect(upgradeState(fixture('v1-last.json'), 'bea').sendHours.active).toEqual({ 10: expect.any(Number) });
  });
});

describe('upgradeState', () => {
  it('returns a current state as it is', () => {
    const state = emptyState('ann');
    expect(upgradeState(state, 'ann')).toBe(state);
  });

  it.each([
    [{ ...emptyState('ann'), v: 4 }, /user "ann" cannot be read: it is schema version 4, written by a newer nudge \(this one reads up to 3\)/],
    [{ ...emptyState('ann'), v: undefined }, /unknown schema version undefined/],
    [{ ...emptyState('ann'), v: '1' }, /unknown schema version "1"/],
    [null, /expected an object, got null/],
    [[], /expected an object, got an array/],
    [{ v: 1, userKey: 'ann', traits: {}, entries: {}, journeys: {} }, /v1 state without its counters map/],
  ])('refuses %j, naming the user and why', (raw, message) => {
    expect(() => upgradeState(raw, 'ann')).toThrow(UnreadableStateError);
    expect(() => upgradeState(raw, 'ann')).toThrow(message);
  });
});
