/**
 * The engine's half of a merge, with in-memory fakes and no servers: `handOff` on the merged-away
 * person's partition, `absorb` on the survivor's, and the EventProcessor forwarding a tombstone's late
 * events. The hand-off messages are recorded, not delivered: each case passes them on itself, so it can
 * also deliver them late, twice, or to someone who was merged on since.
 * Rule: /pricing viewed 3 times in 7 days (test/support/unit-rules builds it through the real schema).
 */
import { describe, expect, it } from 'vitest';
import { countOf, eventAt, ruleOf } from '../../test/support/unit-rules';
import type { RuleInput } from '../../rules/schema/rule';
import type { JourneyInput } from '../../workflows/journey/journey-input';
import type { JourneyEvent, MergedNotice } from '../../workflows/journey/machine';
import type { EventEnvelope } from '../events/envelope';
import type { MergeRecord } from '../identity/identity-store';
import { RuleIndex } from '../match/rule-index';
import { countWithin, emptyState, type UserState } from '../state/behavior-state';
import { counterKey } from '../state/counter-plan';
import { upgradeState } from '../state/state-version';
import { StateConflictError, type VersionedState } from '../../platform/stores/state-store';
import { TemporalUnavailableError, type JourneyStarter } from '../../platform/temporal/journey-starter';
import { PersonMerger } from './merge-people';
import { EventProcessor, type AbsorbControl, type Handoff, type JourneyEndedNotice, type StateAccess } from './process-event';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const VIEWS = counterKey('page_viewed', { path: '/pricing' });
const MERGED_AT = iso(T0 + HOUR);

const pricingRule = (entry: RuleInput['entry']) =>
  ruleOf({
    id: 'pricing',
    trigger: { event: 'page_viewed', conditions: { all: [eventAt('$.properties.path', 'equal', '/pricing'), countOf('page_viewed', '7d', 'greaterThanInclusive', 3, { path: '/pricing' })] } },
    entry,
    exitOn: [{ event: 'order_completed' }],
  });

const view = (messageId: string, at: number, path = '/pricing'): EventEnvelope =>
  ({ type: 'track', event: 'page_viewed', anonymousId: 'device', messageId, timestamp: iso(at), properties: { path }, context: {} });
const order = (messageId: string, at: number): EventEnvelope =>
  ({ type: 'track', event: 'order_completed', anonymousId: 'device', messageId, timestamp: iso(at), properties: {}, context: {} });
const mergeOf = (from: string, into: string): MergeRecord => ({ at: MERGED_AT, from, into, via: { type: 'userId', value: into }, messageId: `login-${from}-${into}` });

/** KV-like: a save at a stale revision fails, so a lost update cannot pass unnoticed. Stores copies. */
class MemoryStates implements StateAccess {
  private readonly states = new Map<string, VersionedState>();
  constructor(private readonly log: string[]) {}
  async load(userKey: string): Promise<VersionedState> {
    const stored = this.states.get(userKey);
    return stored ? { state: upgradeState(structuredClone(stored.state), userKey), revision: stored.revision } : { state: emptyState(userKey), revision: 0 };
  }
  async save(state: UserState, revision: number): Promise<number> {
    if ((this.states.get(state.userKey)?.revision ?? 0) !== revision) throw new StateConflictError(state.userKey);
    this.states.set(state.userKey, { state: structuredClone(state), revision: revision + 1 });
    this.log.push(`save ${state.userKey}${state.mergedInto ? ` (tombstone → ${state.mergedInto})` : ''}`);
    return revision + 1;
  }
  get(userKey: string): VersionedState | undefined {
    return structuredClone(this.states.get(userKey));
  }
}

/** Like Temporal: ids are never reused; a started journey runs until it ends or exits as merged. */
class RecordingJourneys implements JourneyStarter {
  readonly started: JourneyInput[] = [];
  readonly signals: { workflowId: string; event: JourneyEvent }[] = [];
  readonly exits: { workflowId: string; notice: MergedNotice }[] = [];
  private readonly ids = new Set<string>();
  private readonly running = new Set<string>();
  /** The next signals fail as if Temporal were unreachable. */
  failSignals = 0;
  constructor(private readonly log: string[]) {}
  async start(input: JourneyInput) {
    if (this.ids.has(input.journeyId)) return 'already_started' as const;
    this.ids.add(input.journeyId);
    this.running.add(input.journeyId);
    this.started.push(input);
    return 'started' as const;
  }
  async signal(workflowId: string, event: JourneyEvent) {
    if (this.failSignals > 0 && this.failSignals--) throw new TemporalUnavailableError(`signal journey ${workflowId}`, new Error('unreachable'));
    if (!this.running.has(workflowId)) return false;
    this.signals.push({ workflowId, event });
    this.log.push(`signal ${workflowId} ${event.event}`);
    return true;
  }
  async isRunning(workflowId: string) {
    return this.running.has(workflowId);
  }
  async exitMerged(workflowId: string, notice: MergedNotice) {
    this.exits.push({ workflowId, notice });
    return this.running.delete(workflowId);
  }
  end(workflowId: string) {
    this.running.delete(workflowId);
  }
}

class RecordingHandoff implements Handoff {
  readonly forwarded: { to: string; event: EventEnvelope }[] = [];
  readonly absorbed: { into: string; control: AbsorbControl }[] = [];
  constructor(private readonly log: string[]) {}
  async forward(to: string, event: EventEnvelope) {
    this.forwarded.push({ to, event: structuredClone(event) });
  }
  readonly endedForwarded: { to: string; notice: JourneyEndedNotice }[] = [];
  async forwardEnded(to: string, notice: JourneyEndedNotice) {
    this.endedForwarded.push({ to, notice });
  }
  async absorb(into: string, control: AbsorbControl) {
    this.absorbed.push({ into, control: structuredClone(control) });
    this.log.push(`absorb ${control.from} → ${into}`);
  }
}

function engine(entry: RuleInput['entry'] = { policy: 'once' }) {
  const log: string[] = [];
  const rules = new RuleIndex([{ rule: pricingRule(entry), file: 'pricing.json' }]);
  const states = new MemoryStates(log);
  const journeys = new RecordingJourneys(log);
  const handoff = new RecordingHandoff(log);
  const processor = new EventProcessor({ rules, state: states, journeys, waitScale: 1, handoff });
  const merger = new PersonMerger(processor);
  let seq = 0; // one stream: partitions share its sequence
  /** Processes events as the resolver routed them to `person`; returns the last outcome. */
  const send = async (person: string, ...events: EventEnvelope[]) => {
    let outcome;
    for (const event of events) outcome = await processor.process(event, ++seq, person);
    return outcome!;
  };
  /** Delivers a recorded absorb to the partition of its `into`. */
  const deliver = (control: AbsorbControl) => merger.absorb(control, ++seq);
  /** The whole merge: hand-off on `from`'s partition, then the absorb on `into`'s. */
  const merge = async (from: string, into: string) => {
    await merger.handOff(mergeOf(from, into));
    return deliver(handoff.absorbed.at(-1)!.control);
  };
  /** A journey ends: Temporal forgets it and its `ended` notice reaches the person's partition. */
  const end = async (person: string, workflowId: string) => {
    journeys.end(workflowId);
    await processor.journeyEnded({ person, ruleId: 'pricing', workflowId });
  };
  return { log, states, journeys, handoff, merger, send, deliver, merge, end, state: (user: string) => states.get(user)?.state };
}

describe('handOff: the merge control message on the merged-away person\'s partition', () => {
  it('hands the whole state over, leaves a tombstone, then sends the outbox from it; a repeat hands over nothing new', async () => {
    const e = engine();
    await e.send('anon', view('v1', T0 - 3 * HOUR), view('v2', T0 - 2 * HOUR), view('v3', T0 - HOUR));
    const journey = 'journey/pricing/anon/once';
    expect(e.journeys.started.map((j) => j.journeyId)).toEqual([journey]);
    // A crash between saving the state and signalling the journey: the signal waits in the outbox.
    e.journeys.failSignals = 1;
    await expect(e.send('anon', order('o1', T0 - 30 * 60_000))).rejects.toThrow(TemporalUnavailableError);
    expect(e.state('anon')!.outbox).toHaveLength(1);
    e.log.length = 0;

    const outcome = await e.merger.handOff(mergeOf('anon', 'member'));
    expect(outcome).toMatchObject({ userKey: 'anon', duplicate: false, forwardedTo: 'member', signalled: [journey] });
    // The state goes first (its outbox stays behind), the tombstone keeps the outbox until its signals are out.
    expect(e.log).toEqual(['absorb anon → member', 'save anon (tombstone → member)', `signal ${journey} order_completed`, 'save anon (tombstone → member)']);
    expect(e.handoff.absorbed).toHaveLength(1);
    const { into, control } = e.handoff.absorbed[0]!;
    expect(into).toBe('member');
    expect(control).toMatchObject({ ...mergeOf('anon', 'member'), state: { userKey: 'anon', journeys: { pricing: { workflowId: journey } } } });
    expect(control.state.outbox ?? []).toEqual([]);
    expect(countWithin(control.state, VIEWS, 7 * DAY, control.state.clock)).toBe(3);
    const tombstone = e.states.get('anon')!;
    expect(tombstone.state).toMatchObject({ mergedInto: 'member', traits: {}, counters: {}, journeys: {}, entries: {} });
    expect(tombstone.state.recent).toBeUndefined();

    const repeat = await e.merger.handOff(mergeOf('anon', 'member'));
    expect(repeat).toMatchObject({ duplicate: true, forwardedTo: 'member' });
    expect(e.handoff.absorbed).toHaveLength(1);
    expect(e.states.get('anon')).toEqual(tombstone);
    expect(e.journeys.signals).toHaveLength(1);
  });

  it('an event for a tombstoned person is forwarded to the survivor and changes no state', async () => {
    const e = engine();
    await e.send('anon', view('v1', T0 - 2 * HOUR), view('v2', T0 - HOUR));
    await e.merger.handOff(mergeOf('anon', 'member'));
    const tombstone = e.states.get('anon');

    const late = view('late', T0);
    const outcome = await e.send('anon', late);
    expect(outcome).toMatchObject({ userKey: 'anon', forwardedTo: 'member', decisions: [] });
    expect(e.handoff.forwarded).toEqual([{ to: 'member', event: late }]);
    expect(e.states.get('anon')).toEqual(tombstone);
    expect(e.states.get('member')).toBeUndefined(); // the survivor's partition applies it, when it is delivered
    expect(e.journeys.started).toEqual([]);
  });
});

describe('absorb: the survivor\'s partition combines the states', () => {
  it('counts combine: 2 views + 1 view within the window count 3', async () => {
    const e = engine();
    await e.send('anon', view('v1', T0 - 3 * DAY), view('v2', T0 - DAY));
    await e.send('member', view('m1', T0 - 2 * DAY));
    const outcome = await e.merge('anon', 'member');
    expect(outcome).toMatchObject({ userKey: 'member', mergedFrom: 'anon', duplicate: false });
    const state = e.state('member')!;
    expect(countWithin(state, VIEWS, 7 * DAY, state.clock)).toBe(3);
    expect(state.counterIds?.[VIEWS]).toEqual(['v2', 'm1', 'v1']);
    expect(state.absorbed).toEqual(['anon']);
  });

  it('an event seen through both ids (same messageId) counts once', async () => {
    const e = engine();
    await e.send('anon', view('v1', T0 - 3 * DAY), view('shared', T0 - DAY));
    await e.send('member', view('shared', T0 - DAY), view('m1', T0 - 2 * DAY));
    await e.merge('anon', 'member');
    const state = e.state('member')!;
    expect(countWithin(state, VIEWS, 7 * DAY, state.clock)).toBe(3);
    expect(state.counterIds?.[VIEWS]).toEqual(['shared', 'm1', 'v1']);
  });

  it.each([
    ['the merged-away person\'s', 'anon', 'member'],
    ['the survivor\'s', 'member', 'anon'],
  ])('a journey of the same rule on both sides: %s started earlier and is kept, the other exits as merged', async (_, early, late) => {
    const e = engine();
    await e.send(early, view(`${early}-1`, T0 - 3 * HOUR), view(`${early}-2`, T0 - 2 * HOUR), view(`${early}-3`, T0 - HOUR));
    await e.send(late, view(`${late}-1`, T0 - 50 * 60_000), view(`${late}-2`, T0 - 40 * 60_000), view(`${late}-3`, T0 - 30 * 60_000));
    const [kept, dropped] = [`journey/pricing/${early}/once`, `journey/pricing/${late}/once`];
    expect(e.journeys.started.map((j) => j.journeyId)).toEqual([kept, dropped]);

    const outcome = await e.merge('anon', 'member');
    expect(e.journeys.exits).toEqual([{ workflowId: dropped, notice: { into: 'member', keptJourneyId: kept, at: MERGED_AT } }]);
    expect(outcome.signalled).toEqual([dropped]);
    expect(e.state('member')!.journeys.pricing).toMatchObject({ workflowId: kept, startedAt: T0 - HOUR });
    expect(e.journeys.started).toHaveLength(2); // the kept journey blocks re-entry
    expect(await e.journeys.isRunning(kept)).toBe(true);
  });

  it('a repeated absorb (same from) is a duplicate and changes nothing', async () => {
    const e = engine();
    await e.send('anon', view('v1', T0 - 3 * DAY), view('v2', T0 - DAY));
    await e.send('member', view('m1', T0 - 2 * DAY));
    await e.merge('anon', 'member');
    const after = e.states.get('member');
    expect(e.journeys.started).toHaveLength(1);

    // Published again (a crash before the hand-off's ack, outside the duplicate window): a new sequence.
    const outcome = await e.deliver(e.handoff.absorbed[0]!.control);
    expect(outcome).toMatchObject({ duplicate: true, signalled: [], decisions: [] });
    expect(e.states.get('member')).toEqual(after);
    expect(e.journeys.started).toHaveLength(1);
    expect(e.journeys.exits).toEqual([]);
  });

  it('an absorb arriving at a person who was merged on since goes on to that person\'s survivor', async () => {
    const e = engine();
    await e.send('anon', view('v1', T0 - 3 * DAY), view('v2', T0 - DAY));
    await e.send('member', view('m1', T0 - 2 * DAY));
    await e.merger.handOff(mergeOf('anon', 'member')); // recorded, still on its way to member
    const anonState = e.handoff.absorbed[0]!.control;
    await e.merge('member', 'customer');
    const memberTombstone = e.states.get('member');

    const outcome = await e.deliver(anonState);
    expect(outcome).toMatchObject({ userKey: 'member', forwardedTo: 'customer', duplicate: false });
    expect(e.handoff.absorbed.at(-1)).toEqual({ into: 'customer', control: { ...anonState, into: 'customer' } });
    expect(e.states.get('member')).toEqual(memberTombstone);

    await e.deliver(e.handoff.absorbed.at(-1)!.control);
    const customer = e.state('customer')!;
    expect(customer.absorbed).toEqual(['member', 'anon']);
    expect(countWithin(customer, VIEWS, 7 * DAY, customer.clock)).toBe(3);
  });
});

describe('re-evaluation after absorb', () => {
  it('the rule fires for the merged person, triggered by the newest matching recent event', async () => {
    const e = engine();
    await e.send('anon', view('v1', T0 - 3 * DAY), view('v2', T0 - DAY));
    await e.send('member', view('m1', T0 - 2 * DAY), view('docs', T0, '/docs')); // newest, but not /pricing
    expect(e.journeys.started).toEqual([]);

    const outcome = await e.merge('anon', 'member');
    expect(e.journeys.started).toHaveLength(1);
    const [input] = e.journeys.started;
    expect(input).toMatchObject({ journeyId: 'journey/pricing/member/once', userId: 'member', trigger: { messageId: 'v2', event: 'page_viewed', timestamp: iso(T0 - DAY) } });
    // Only the entry is reported; the newer event that did not match stays out of the outcome.
    expect(outcome.decisions).toMatchObject([{ ruleId: 'pricing', outcome: 'started', workflowId: 'journey/pricing/member/once' }]);
    expect(e.state('member')).toMatchObject({ journeys: { pricing: { workflowId: input!.journeyId } }, entries: { pricing: { entries: 1 } } });
  });

  describe('with an everyTime rule', () => {
    /** anon: v3 and v4 each started a journey, both ended and told the partition so; an order follows. */
    async function anonWithTwoEndedJourneys() {
      const e = engine({ policy: 'everyTime' });
      await e.send('anon', view('v1', T0 - 4 * HOUR), view('v2', T0 - 3 * HOUR), view('v3', T0 - 2 * HOUR));
      await e.end('anon', 'journey/pricing/anon/v3');
      await e.send('anon', view('v4', T0 - HOUR));
      await e.end('anon', 'journey/pricing/anon/v4');
      await e.send('anon', order('o1', T0 - 50 * 60_000));
      expect(e.journeys.started.map((j) => j.journeyId)).toEqual(['journey/pricing/anon/v3', 'journey/pricing/anon/v4']);
      expect(e.state('anon')!.journeys).toEqual({});
      return e;
    }

    it('an event that already started a journey is not used again', async () => {
      const e = await anonWithTwoEndedJourneys();
      await e.send('member', view('m-docs', T0 - 10 * 60_000, '/docs'));
      await e.merge('anon', 'member');
      expect(e.journeys.started.map((j) => j.trigger.messageId)).toEqual(['v3', 'v4']);
      expect(e.state('member')!.entries.pricing).toMatchObject({ entries: 2, lastWorkflowId: 'journey/pricing/anon/v4' });
    });

    it('a matching event newer than the last entry starts one', async () => {
      const e = await anonWithTwoEndedJourneys();
      await e.send('member', view('m1', T0 - 10 * 60_000));
      await e.merge('anon', 'member');
      expect(e.journeys.started.map((j) => j.journeyId)).toEqual(['journey/pricing/anon/v3', 'journey/pricing/anon/v4', 'journey/pricing/member/m1']);
    });
  });
});
