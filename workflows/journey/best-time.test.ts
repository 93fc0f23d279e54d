/**
 * waitUntil "best" through the whole pure core: events build the person's send hours (applyEvent), the
 * decision core puts the learned hour into the journey input at entry, and the journey machine waits for
 * it — in the person's zone, with engagement above activity, the fallback without history, and quiet
 * hours winning.
 */
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { email, ruleOf } from '../../test/support/unit-rules';
import { decideEvent, type DecideContext } from '../../engine/decide/decide';
import { RuleIndex } from '../../engine/match/rule-index';
import { emptyState, type UserState } from '../../engine/state/behavior-state';
import type { EventEnvelope } from '../../engine/events/envelope';
import type { Step } from '../../rules/schema/steps';
import type { ChannelQuietHours } from '../../rules/schema/guardrails';
import { machineContextFor, type JourneyInput } from './journey-input';
import { startJourney } from './machine';

const best = (fallback = '10:00'): Step => ({ id: 'best', type: 'waitUntil', time: 'best', fallback });
const ruleWith = (quietHours?: ChannelQuietHours) =>
  ruleOf({ id: 'welcome', trigger: { event: 'trial_started' }, steps: [best(), email('hello')], ...(quietHours ? { quietHours } : {}) });

const track = (event: string, at: number): EventEnvelope =>
  ({ type: 'track', event, userId: 'ann', messageId: `${event}-${at}`, timestamp: new Date(at).toISOString(), properties: {}, context: {} }) as EventEnvelope;
const identify = (at: number, traits: Record<string, unknown>): EventEnvelope =>
  ({ type: 'identify', userId: 'ann', messageId: `id-${at}`, timestamp: new Date(at).toISOString(), traits, context: {} }) as EventEnvelope;

/** `days` days before `entry`, at local hh:mm in `zone`. */
const localAt = (zone: string, entry: string, daysBefore: number, hh: number, mm = 15) =>
  DateTime.fromISO(entry, { zone }).minus({ days: daysBefore }).set({ hour: hh, minute: mm, second: 0, millisecond: 0 }).toMillis();

/** Applies the events, then the trigger at `entryAt`; returns the journey input and when its first wait ends. */
function enter(zone: string, history: EventEnvelope[], entryAt: number, quietHours?: ChannelQuietHours) {
  const rule = ruleWith(quietHours);
  const ctx: DecideContext = { rules: new RuleIndex([{ rule, file: 'welcome.json' }]), waitScale: 1 };
  let state: UserState = emptyState('ann');
  let seq = 0;
  for (const event of [identify(entryAt - 40 * 86_400_000, { timezone: zone }), ...history]) state = decideEvent(ctx, state, event, ++seq, 'ann').state ?? state;
  const decision = decideEvent(ctx, state, track('trial_started', entryAt), ++seq, 'ann');
  const start = decision.effects.find((effect) => effect.kind === 'start') as { input: JourneyInput } | undefined;
  if (!start) throw new Error(`no journey started: ${JSON.stringify(decision.outcome.decisions)}`);
  const t = startJourney(machineContextFor(start.input), entryAt);
  if (t.state.kind !== 'waiting') throw new Error(`expected a wait, got ${t.state.kind}`);
  return { input: start.input, until: DateTime.fromMillis(t.state.until, { zone }), log: t.log };
}

describe('waitUntil "best"', () => {
  it.each(['Europe/Berlin', 'America/New_York'])('a person active only at 20:00 local (%s) gets the message at 20:00 local', (zone) => {
    const entry = '2026-02-10T09:00:00';
    const history = [1, 2, 3, 5, 8].map((d) => track('page_viewed', localAt(zone, entry, d, 20)));
    const entryAt = DateTime.fromISO(entry, { zone }).toMillis();
    const { input, until, log } = enter(zone, history, entryAt);
    expect(input.sendHour?.source).toBe('activity');
    expect(until.toFormat('yyyy-MM-dd HH:mm')).toBe('2026-02-10 20:00');
    expect(log).toEqual([expect.objectContaining({ step: 'best', action: 'wait', reason: 'best_time', basis: 'activity', timezone: zone })]);
  });

  it('engagement events outweigh activity hours: many visits at 14:00, two opens at 19:00', () => {
    const zone = 'Europe/Berlin';
    const entry = '2026-02-10T09:00:00';
    const visits = [1, 2, 3, 4, 5, 6, 7].map((d) => track('page_viewed', localAt(zone, entry, d, 14)));
    const opens = [track('email_opened', localAt(zone, entry, 3, 19)), track('email_clicked', localAt(zone, entry, 9, 19))];
    const { input, until } = enter(zone, [...visits, ...opens], DateTime.fromISO(entry, { zone }).toMillis());
    expect(input.sendHour).toEqual({ hourUtc: 18, source: 'engagement' }); // 19:00 Berlin in winter
    expect(until.toFormat('HH:mm')).toBe('19:00');
  });

  it('recent habits win: a new evening habit over an old morning one', () => {
    const zone = 'UTC';
    const entry = '2026-02-10T09:00:00';
    const old = [60, 61, 62, 63].map((d) => track('page_viewed', localAt(zone, entry, d, 7)));
    const recent = [1, 2, 3].map((d) => track('page_viewed', localAt(zone, entry, d, 21)));
    expect(enter(zone, [...old, ...recent], Date.parse('2026-02-10T09:00:00Z')).until.hour).toBe(21);
  });

  it('no history: the fallback local time, and no learned hour in the input', () => {
    const zone = 'America/New_York';
    const entryAt = DateTime.fromISO('2026-02-10T11:00:00', { zone }).toMillis();
    const { input, until } = enter(zone, [], entryAt);
    // the trigger itself is activity at 11:00; the identify long before is no behavior event
    expect(input.sendHour).toEqual({ hourUtc: 16, source: 'activity' });
    const rule = ruleWith();
    const t = startJourney(machineContextFor({ ...input, rule, sendHour: undefined } as JourneyInput), entryAt);
    expect(t.state.kind === 'waiting' && DateTime.fromMillis(t.state.until, { zone }).toFormat('yyyy-MM-dd HH:mm')).toBe('2026-02-11 10:00');
    expect(t.log[0]).toMatchObject({ basis: 'fallback' });
    expect(until.toFormat('HH:mm')).toBe('11:00'); // tomorrow's 11:00, the entry hour itself having passed
  });

  it('quiet hours win: a best hour inside the email quiet hours waits until they end', () => {
    const zone = 'Europe/Berlin';
    const entry = '2026-02-10T09:00:00';
    const history = [1, 2, 3].map((d) => track('page_viewed', localAt(zone, entry, d, 23)));
    const { until, log } = enter(zone, history, DateTime.fromISO(entry, { zone }).toMillis(), { email: { start: '22:00', end: '07:30', policy: 'skip' } });
    expect(until.toFormat('yyyy-MM-dd HH:mm')).toBe('2026-02-11 07:30');
    expect(log[0]).toMatchObject({ basis: 'activity', quietHours: 'email' });
  });

  it('a rule without a "best" step carries no learned hour', () => {
    const rule = ruleOf({ id: 'plain', trigger: { event: 'trial_started' } });
    const ctx: DecideContext = { rules: new RuleIndex([{ rule, file: 'plain.json' }]), waitScale: 1 };
    const decision = decideEvent(ctx, emptyState('ann'), track('trial_started', Date.parse('2026-02-10T09:00:00Z')), 1, 'ann');
    expect(decision.effects).toEqual([expect.objectContaining({ kind: 'start', input: expect.not.objectContaining({ sendHour: expect.anything() }) })]);
  });
});
