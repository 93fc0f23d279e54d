/**
 * Consent in the profile: identify `traits.consent` and `unsubscribed` / `subscribed` track events
 * become consent records per channel and topic; the decision with the later event time stands, whatever
 * order the events arrive in; consentAllows decides a send in opt-out and opt-in mode, with
 * transactional messages exempt from everything but a channel-wide SMS opt-out.
 */
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../events/envelope';
import { applyEvent, consentAllows, emptyState, type ConsentMode, type UserState } from './behavior-state';
import { buildCounterPlan } from './counter-plan';

const T0 = Date.parse('2025-05-01T12:00:00.000Z');
const HOUR = 3_600_000;
const plan = buildCounterPlan([]);

const identify = (traits: Record<string, unknown>, at: number): EventEnvelope =>
  ({ type: 'identify', userId: 'u1', messageId: `identify-${at}-${Math.random()}`, timestamp: new Date(at).toISOString(), traits, context: {} });
const track = (event: string, at: number, properties: Record<string, unknown> = {}): EventEnvelope =>
  ({ type: 'track', event, userId: 'u1', messageId: `${event}-${at}-${Math.random()}`, timestamp: new Date(at).toISOString(), properties, context: {} });
const unsubscribed = (at: number, properties: Record<string, unknown> = {}) => track('unsubscribed', at, properties);
const subscribed = (at: number, properties: Record<string, unknown> = {}) => track('subscribed', at, properties);

/** Applies events in the given (arrival) order with increasing sequence numbers. */
const replay = (events: EventEnvelope[], state: UserState = emptyState('u1')) => events.reduce((s, event) => applyEvent(s, event, s.lastSeq + 1, plan), state);

interface Send {
  channel?: 'email' | 'sms';
  topic?: string;
  transactional?: boolean;
  mode?: ConsentMode;
}
const allows = (state: UserState, { channel = 'email', topic = 'marketing', transactional = false, mode = 'opt-out' }: Send = {}) =>
  consentAllows(state, channel, topic, transactional, mode);

describe('identify traits.consent', () => {
  it('{ email: false } withdraws every email topic and leaves SMS alone; consent is not kept as a trait', () => {
    const state = replay([identify({ email: 'a@example.com', consent: { email: false } }, T0)]);
    expect(state.traits).toEqual({ email: 'a@example.com' });
    expect(state.consent).toEqual({ email: { all: { granted: false, at: T0, source: 'identify' } } });
    for (const topic of ['marketing', 'promotions', 'newsletter']) expect(allows(state, { topic }), topic).toBe(false);
    expect(allows(state, { channel: 'sms' })).toBe(true);
  });

  it('{ email: { promotions: false } } withdraws that topic only', () => {
    const state = replay([identify({ consent: { email: { promotions: false } } }, T0)]);
    expect(state.consent).toEqual({ email: { promotions: { granted: false, at: T0, source: 'identify' } } });
    expect(allows(state, { topic: 'promotions' })).toBe(false);
    expect(allows(state, { topic: 'marketing' })).toBe(true);
    expect(allows(state, { channel: 'sms', topic: 'promotions' })).toBe(true);
  });

  it('sets several channels and topics at once', () => {
    const state = replay([identify({ consent: { email: { promotions: false, newsletter: true }, sms: false } }, T0)]);
    expect(allows(state, { topic: 'promotions' })).toBe(false);
    expect(allows(state, { topic: 'newsletter' })).toBe(true);
    expect(allows(state, { channel: 'sms' })).toBe(false);
  });

  it('ignores values that are not booleans', () => {
    const state = replay([identify({ consent: { email: 'no', sms: { promotions: 'nope' } } }, T0), identify({ consent: 'yes' }, T0 + 1)]);
    expect(state.consent ?? {}).toEqual({});
    expect(state.traits).toEqual({});
    expect(allows(state)).toBe(true);
    expect(allows(state, { channel: 'sms' })).toBe(true);
  });

  it('an identify without consent keeps the earlier decisions and merges the other traits', () => {
    const state = replay([identify({ plan: 'free', consent: { email: false } }, T0), identify({ plan: 'team' }, T0 + HOUR)]);
    expect(state.traits).toEqual({ plan: 'team' });
    expect(allows(state)).toBe(false);
  });

  it('a person with no consent recorded allows everything in opt-out mode', () => {
    const state = emptyState('u1');
    expect(state.consent).toEqual({});
    expect(allows(state)).toBe(true);
    expect(allows(state, { channel: 'sms', topic: 'promotions' })).toBe(true);
  });
});

describe('unsubscribed / subscribed events', () => {
  it('an unsubscribe from one email topic blocks that topic only, with its source', () => {
    const state = replay([unsubscribed(T0, { channel: 'email', topic: 'promotions', source: 'one-click' })]);
    expect(state.consent).toEqual({ email: { promotions: { granted: false, at: T0, source: 'one-click' } } });
    expect(allows(state, { topic: 'promotions' })).toBe(false);
    expect(allows(state, { topic: 'marketing' })).toBe(true);
  });

  it('without a topic (or an empty one) it withdraws the whole channel; the source defaults to the event name', () => {
    for (const properties of [{ channel: 'email' }, { channel: 'email', topic: '' }]) {
      const state = replay([unsubscribed(T0, properties)]);
      expect(state.consent, JSON.stringify(properties)).toEqual({ email: { all: { granted: false, at: T0, source: 'unsubscribed' } } });
      expect(allows(state, { topic: 'anything' })).toBe(false);
      expect(allows(state, { channel: 'sms' })).toBe(true);
    }
  });

  it('an SMS STOP blocks SMS and leaves email alone', () => {
    const state = replay([unsubscribed(T0, { channel: 'sms', topic: 'all', source: 'sms-stop' })]);
    expect(allows(state, { channel: 'sms' })).toBe(false);
    expect(allows(state, { channel: 'sms', topic: 'promotions' })).toBe(false);
    expect(allows(state)).toBe(true);
  });

  it('channel "all" (or no channel) withdraws email and SMS', () => {
    for (const properties of [{ channel: 'all' }, {}]) {
      const state = replay([unsubscribed(T0, properties)]);
      expect(allows(state), JSON.stringify(properties)).toBe(false);
      expect(allows(state, { channel: 'sms' }), JSON.stringify(properties)).toBe(false);
    }
  });

  it('subscribed grants again', () => {
    const state = replay([unsubscribed(T0, { channel: 'email', topic: 'promotions' }), subscribed(T0 + HOUR, { channel: 'email', topic: 'promotions' })]);
    expect(state.consent!.email!.promotions).toEqual({ granted: true, at: T0 + HOUR, source: 'subscribed' });
    expect(allows(state, { topic: 'promotions' })).toBe(true);
  });

  it('other track events leave consent unchanged', () => {
    const state = replay([unsubscribed(T0, { channel: 'email' }), track('page_viewed', T0 + HOUR, { channel: 'email' })]);
    expect(allows(state)).toBe(false);
  });
});

describe('the later decision wins, by event time, whatever order events arrive in', () => {
  const out = unsubscribed(T0 + HOUR, { channel: 'email', topic: 'promotions' });
  const back = subscribed(T0 + 2 * HOUR, { channel: 'email', topic: 'promotions' });

  it('unsubscribe then subscribe, arriving in order: subscribed', () => {
    expect(allows(replay([out, back]), { topic: 'promotions' })).toBe(true);
  });

  it('the same two arriving the other way round: still subscribed (the older withdrawal does not override)', () => {
    const state = replay([back, out]);
    expect(allows(state, { topic: 'promotions' })).toBe(true);
    expect(state.consent!.email!.promotions).toMatchObject({ granted: true, at: T0 + 2 * HOUR });
  });

  it('subscribe then unsubscribe, arriving late and out of order: unsubscribed', () => {
    const early = subscribed(T0 + HOUR, { channel: 'email', topic: 'promotions' });
    const late = unsubscribed(T0 + 2 * HOUR, { channel: 'email', topic: 'promotions' });
    expect(allows(replay([early, late]), { topic: 'promotions' })).toBe(false);
    expect(allows(replay([late, early]), { topic: 'promotions' })).toBe(false);
  });

  it('identify traits and events are one history: an older identify does not undo a newer unsubscribe', () => {
    const state = replay([unsubscribed(T0 + HOUR, { channel: 'email' }), identify({ consent: { email: true } }, T0)]);
    expect(allows(state)).toBe(false);
    const regranted = replay([unsubscribed(T0, { channel: 'email' }), identify({ consent: { email: true } }, T0 + HOUR)]);
    expect(allows(regranted)).toBe(true);
  });

  it('at the same instant, the decision applied last stands', () => {
    expect(allows(replay([unsubscribed(T0, { channel: 'email' }), subscribed(T0, { channel: 'email' })]))).toBe(true);
    expect(allows(replay([subscribed(T0, { channel: 'email' }), unsubscribed(T0, { channel: 'email' })]))).toBe(false);
  });

  it('a later re-grant of one channel after "unsubscribe from everything" leaves the other channel withdrawn', () => {
    const state = replay([unsubscribed(T0, { channel: 'all' }), subscribed(T0 + HOUR, { channel: 'email' })]);
    expect(allows(state)).toBe(true);
    expect(allows(state, { channel: 'sms' })).toBe(false);
  });

  it('a later channel-wide withdrawal blocks a topic granted earlier', () => {
    const state = replay([subscribed(T0, { channel: 'email', topic: 'promotions' }), unsubscribed(T0 + HOUR, { channel: 'email' })]);
    expect(allows(state, { topic: 'promotions' })).toBe(false);
    expect(allows(state, { topic: 'promotions', mode: 'opt-in' })).toBe(false);
  });
});

describe('consentAllows: opt-out and opt-in mode', () => {
  it('opt-out: marketing goes out unless withdrawn', () => {
    expect(allows(emptyState('u1'))).toBe(true);
    expect(allows(replay([unsubscribed(T0, { channel: 'email', topic: 'marketing' })]))).toBe(false);
  });

  it('opt-in: marketing needs an explicit grant of its topic or of the channel', () => {
    const none = emptyState('u1');
    expect(allows(none, { mode: 'opt-in' })).toBe(false);
    expect(allows(none, { channel: 'sms', mode: 'opt-in' })).toBe(false);

    const channelGrant = replay([identify({ consent: { email: true } }, T0)]);
    expect(allows(channelGrant, { mode: 'opt-in' })).toBe(true);
    expect(allows(channelGrant, { topic: 'promotions', mode: 'opt-in' })).toBe(true);
    expect(allows(channelGrant, { channel: 'sms', mode: 'opt-in' })).toBe(false);

    const topicGrant = replay([subscribed(T0, { channel: 'email', topic: 'promotions' })]);
    expect(allows(topicGrant, { topic: 'promotions', mode: 'opt-in' })).toBe(true);
    expect(allows(topicGrant, { topic: 'marketing', mode: 'opt-in' })).toBe(false);
  });

  it('opt-in: a withdrawn topic stays blocked even when the channel is granted', () => {
    const state = replay([identify({ consent: { email: true } }, T0), unsubscribed(T0 + HOUR, { channel: 'email', topic: 'promotions' })]);
    expect(allows(state, { topic: 'promotions', mode: 'opt-in' })).toBe(false);
    expect(allows(state, { topic: 'marketing', mode: 'opt-in' })).toBe(true);
  });
});

describe('transactional messages', () => {
  it('ignore topic consent and a channel-wide email opt-out, in both modes', () => {
    const state = replay([unsubscribed(T0, { channel: 'email', topic: 'receipts' }), identify({ consent: { email: false } }, T0 + 1)]);
    for (const mode of ['opt-out', 'opt-in'] as const) {
      expect(allows(state, { topic: 'receipts', mode }), mode).toBe(false);
      expect(allows(state, { topic: 'receipts', transactional: true, mode }), mode).toBe(true);
    }
    expect(allows(emptyState('u1'), { transactional: true, mode: 'opt-in' })).toBe(true);
  });

  it('ignore an SMS topic opt-out', () => {
    const state = replay([unsubscribed(T0, { channel: 'sms', topic: 'security' })]);
    expect(allows(state, { channel: 'sms', topic: 'security' })).toBe(false);
    expect(allows(state, { channel: 'sms', topic: 'security', transactional: true })).toBe(true);
  });

  it('do not go out by SMS after a channel-wide SMS opt-out (STOP), from an event or a trait', () => {
    for (const state of [
      replay([unsubscribed(T0, { channel: 'sms', topic: 'all', source: 'sms-stop' })]),
      replay([identify({ consent: { sms: false } }, T0)]),
      replay([unsubscribed(T0, { channel: 'all' })]),
    ]) {
      expect(allows(state, { channel: 'sms', transactional: true })).toBe(false);
      expect(allows(state, { channel: 'sms', transactional: true, mode: 'opt-in' })).toBe(false);
    }
    const restarted = replay([unsubscribed(T0, { channel: 'sms' }), subscribed(T0 + HOUR, { channel: 'sms' })]);
    expect(allows(restarted, { channel: 'sms', transactional: true })).toBe(true);
  });
});
