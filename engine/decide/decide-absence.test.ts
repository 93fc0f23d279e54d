/**
 * Absence triggers decided in the pure core: an event arms (or disarms) a timer, the timer comes back
 * as a control message and fires only if it is still the armed one; then the rule's conditions, tags
 * and entry policy decide, as of the due time. The timer service here is a map (a re-arm replaces, a
 * disarm deletes), as the JetStream schedule subjects are in production.
 * Rules: "no page_viewed for 7d" (win-back) and "no order_completed within 3d after trial_will_end".
 */
import { describe, expect, it } from 'vitest';
import { eventAt, ruleOf, tagIs, tagOf, traitAt } from '../../test/support/unit-rules';
import type { EventEnvelope } from '../events/envelope';
import { RuleIndex } from '../match/rule-index';
import { emptyState, type UserState } from '../state/behavior-state';
import { decideEvent, type DecideContext, type Decision } from './decide';
import { decideAbsenceTimer, type AbsenceTimerControl } from './decide-absence';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const winBack = ruleOf({ id: 'win-back', trigger: { absence: { event: 'page_viewed', for: '7d' } }, entry: { policy: 'everyTime' } });
const trialEnd = ruleOf({
  id: 'trial-end',
  trigger: { absence: { event: 'order_completed', for: '3d', after: { event: 'trial_will_end', conditions: { all: [eventAt('$.properties.plan', 'equal', 'pro')] } } } },
  entry: { policy: 'once' },
});
const pricingOnly = ruleOf({
  id: 'pricing-lapsed',
  trigger: { absence: { event: 'page_viewed', for: '2d', conditions: { all: [eventAt('$.properties.path', 'equal', '/pricing')] } }, conditions: { all: [traitAt('$.plan', 'equal', 'free'), tagIs('visits_30d', 'greaterThanInclusive', 1)] } },
  entry: { policy: 'oncePerWindow', window: '30d' },
});
const engaged = tagOf({ name: 'visits_30d', kind: 'count', event: 'page_viewed', within: '30d' });

function contextOf(...rules: (typeof winBack)[]): DecideContext {
  return { rules: new RuleIndex(rules.map((rule) => ({ rule, file: `${rule.id}.json` })), [{ tag: engaged, file: 'engaged.json' }]), waitScale: 1 };
}
const withDayLength = (ctx: DecideContext, dayMs: number): DecideContext => ({ ...ctx, waitScale: dayMs / DAY });

const track = (event: string, at: number, messageId: string, properties: Record<string, unknown> = {}): EventEnvelope =>
  ({ type: 'track', event, userId: 'ann', messageId, timestamp: iso(at), properties, context: {} }) as EventEnvelope;
const identify = (at: number, traits: Record<string, unknown>): EventEnvelope => ({ type: 'identify', userId: 'ann', messageId: `id-${at}`, timestamp: iso(at), traits, context: {} }) as EventEnvelope;

/** One person's partition: events and due timers in time order, timers kept as the schedule subjects keep them. */
class Partition {
  state: UserState = emptyState('ann');
  seq = 0;
  readonly timers = new Map<string, AbsenceTimerControl>();
  readonly decisions: { at: number; decision: Decision }[] = [];
  constructor(readonly ctx: DecideContext) {}

  event(envelope: EventEnvelope): Decision {
    this.fireUntil(Date.parse(envelope.timestamp));
    return this.apply(Date.parse(envelope.timestamp), decideEvent(this.ctx, this.state, envelope, ++this.seq, 'ann'));
  }

  timer(control: AbsenceTimerControl): Decision {
    return this.apply(control.due, decideAbsenceTimer(this.ctx, this.state, control, ++this.seq));
  }

  fireUntil(time: number): void {
    for (;;) {
      const next = [...this.timers.values()].sort((a, b) => a.due - b.due)[0];
      if (!next || next.due > time) return;
      this.timers.delete(next.ruleId);
      this.timer(next);
    }
  }

  /** Journeys started, as `rule@time`. */
  entries(): string[] {
    return this.decisions.flatMap(({ decision }) => decision.effects.flatMap((e) => (e.kind === 'start' ? [`${e.ruleId}@${e.input.trigger.timestamp}→${iso(this.state.entries[e.ruleId]!.lastEnteredAt)}`] : [])));
  }

  private apply(at: number, decision: Decision): Decision {
    if (decision.state) this.state = decision.state;
    for (const effect of decision.effects) {
      if (effect.kind === 'armAbsence') this.timers.set(effect.control.ruleId, effect.control);
      if (effect.kind === 'disarmAbsence') this.timers.delete(effect.ruleId);
    }
    this.decisions.push({ at, decision });
    return decision;
  }
}

const started = (decision: Decision) => decision.effects.filter((e) => e.kind === 'start').map((e) => (e.kind === 'start' ? e.input : null)!);

describe('no page_viewed for 7 days', () => {
  it('fires exactly 7 days after the last visit, with that visit as the journey\'s trigger', () => {
    const p = new Partition(contextOf(winBack));
    const arm = p.event(track('page_viewed', T0, 'v1', { path: '/home' }));
    expect(arm.effects).toEqual([{ kind: 'armAbsence', control: { person: 'ann', ruleId: 'win-back', armedBy: 'v1', due: T0 + 7 * DAY } }]);
    p.fireUntil(T0 + 7 * DAY - 1);
    expect(p.entries()).toEqual([]);
    p.fireUntil(T0 + 7 * DAY);
    const fired = p.decisions.at(-1)!.decision;
    expect(fired.outcome.timer).toBe('fired');
    expect(started(fired)).toEqual([expect.objectContaining({ journeyId: 'journey/win-back/ann/v1', trigger: expect.objectContaining({ messageId: 'v1', event: 'page_viewed', properties: { path: '/home' } }) })]);
    expect(p.state.entries['win-back']!.lastEnteredAt).toBe(T0 + 7 * DAY);
    expect(p.state.absence).toBeUndefined();
  });

  it('a visit on day 6 re-arms it: it fires 7 days after that visit, not after the first', () => {
    const p = new Partition(contextOf(winBack));
    p.event(track('page_viewed', T0, 'v1'));
    p.event(track('page_viewed', T0 + 6 * DAY, 'v2'));
    p.fireUntil(T0 + 13 * DAY - MINUTE);
    expect(p.entries()).toEqual([]);
    p.fireUntil(T0 + 13 * DAY);
    expect(p.entries()).toEqual([`win-back@${iso(T0 + 6 * DAY)}→${iso(T0 + 13 * DAY)}`]);
  });

  it('a stale timer (its visit was followed by another) changes nothing, even when it is delivered', () => {
    const p = new Partition(contextOf(winBack));
    const first = p.event(track('page_viewed', T0, 'v1')).effects[0]!;
    p.event(track('page_viewed', T0 + DAY, 'v2'));
    const stale = p.timer((first as Extract<typeof first, { kind: 'armAbsence' }>).control);
    expect(stale).toMatchObject({ state: null, effects: [], outcome: { timer: 'stale' } });
    expect(p.state.absence?.['win-back']).toMatchObject({ due: T0 + 8 * DAY });
  });

  it('NUDGE_DAY_LENGTH shortens the wait as it shortens journey waits: 7 days of 10 s are 70 s', () => {
    const p = new Partition(withDayLength(contextOf(winBack), 10_000));
    expect(p.event(track('page_viewed', T0, 'v1')).effects).toEqual([expect.objectContaining({ control: expect.objectContaining({ due: T0 + 70_000 }) })]);
  });

  it('a late visit (stamped before the armed one) does not move the timer back', () => {
    const p = new Partition(contextOf(winBack));
    p.event(track('page_viewed', T0 + DAY, 'v2'));
    expect(p.event(track('page_viewed', T0, 'v1-late')).effects).toEqual([]);
    expect(p.state.absence?.['win-back']?.event.messageId).toBe('v2');
  });

  it('a replayed timer (already applied) is a duplicate, and another rule\'s events do not arm it', () => {
    const p = new Partition(contextOf(winBack));
    expect(p.event(track('order_completed', T0, 'o1')).effects).toEqual([]);
    const arm = p.event(track('page_viewed', T0, 'v1')).effects[0] as { control: AbsenceTimerControl };
    const fired = p.timer(arm.control);
    expect(fired.outcome.timer).toBe('fired');
    expect(decideAbsenceTimer(p.ctx, p.state, arm.control, p.seq).outcome.duplicate).toBe(true);
  });

  it('the entry policy applies at firing: everyTime never enters while its journey runs', () => {
    const p = new Partition(contextOf(winBack));
    p.event(track('page_viewed', T0, 'v1'));
    p.fireUntil(T0 + 7 * DAY);
    p.event(track('page_viewed', T0 + 8 * DAY, 'v2'));
    p.fireUntil(T0 + 15 * DAY);
    expect(p.decisions.at(-1)!.decision.outcome.decisions).toEqual([expect.objectContaining({ ruleId: 'win-back', outcome: 'already_in_journey' })]);
  });
});

describe('no order_completed within 3 days after trial_will_end', () => {
  it('fires 3 days after trial_will_end when no order came', () => {
    const p = new Partition(contextOf(trialEnd));
    p.event(track('trial_will_end', T0, 't1', { plan: 'pro' }));
    p.fireUntil(T0 + 3 * DAY);
    expect(p.entries()).toEqual([`trial-end@${iso(T0)}→${iso(T0 + 3 * DAY)}`]);
  });

  it('an order inside the 3 days disarms it; an order before trial_will_end does not count; the after event\'s conditions apply', () => {
    const p = new Partition(contextOf(trialEnd));
    p.event(track('order_completed', T0 - DAY, 'o0'));
    expect(p.event(track('trial_will_end', T0, 't0', { plan: 'basic' })).effects).toEqual([]);
    p.event(track('trial_will_end', T0, 't1', { plan: 'pro' }));
    const order = p.event(track('order_completed', T0 + 2 * DAY, 'o1'));
    expect(order.effects).toEqual([{ kind: 'disarmAbsence', person: 'ann', ruleId: 'trial-end' }]);
    p.fireUntil(T0 + 10 * DAY);
    expect(p.entries()).toEqual([]);
    expect(p.state.absence).toBeUndefined();
  });
});

describe('conditions and tags at firing time', () => {
  it('only watched occurrences arm; the state conditions and tags are read when the timer fires', () => {
    const p = new Partition(contextOf(pricingOnly));
    p.event(identify(T0 - DAY, { plan: 'free' }));
    expect(p.event(track('page_viewed', T0, 'home', { path: '/home' })).effects).toEqual([]);
    p.event(track('page_viewed', T0, 'pricing', { path: '/pricing' }));
    p.event(identify(T0 + DAY, { plan: 'team' }));
    p.fireUntil(T0 + 2 * DAY);
    expect(p.decisions.at(-1)!.decision.outcome).toMatchObject({ timer: 'fired', decisions: [expect.objectContaining({ outcome: 'no_match' })] });

    const q = new Partition(contextOf(pricingOnly));
    q.event(identify(T0 - DAY, { plan: 'free' }));
    q.event(track('page_viewed', T0, 'pricing', { path: '/pricing' }));
    q.fireUntil(T0 + 2 * DAY);
    expect(q.entries()).toEqual([`pricing-lapsed@${iso(T0)}→${iso(T0 + 2 * DAY)}`]);
  });

  it('a rule disabled or removed since the timer was armed enters no one', () => {
    const p = new Partition(contextOf(winBack));
    const arm = p.event(track('page_viewed', T0, 'v1')).effects[0] as { control: AbsenceTimerControl };
    const other = contextOf(ruleOf({ ...winBack, enabled: false }));
    const decision = decideAbsenceTimer(other, p.state, arm.control, 99);
    expect(decision).toMatchObject({ effects: [], outcome: { timer: 'stale' } });
    expect(decision.state?.absence).toBeUndefined();
  });
});
