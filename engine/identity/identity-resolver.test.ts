import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../events/envelope';
import { IdentifierTypes, IdentifierTypesConfig } from '../events/identifier-types';
import { IdentityResolver } from './identity-resolver';
import { CachedIdentityStore } from './cached-identity-store';
import { IdentityConflictError, livePerson, MemoryIdentityStore, type IdentityGraphStore } from './identity-store';

let n = 0;
const at = '2026-11-28T10:00:00.000Z';
const track = (ids: { userId?: string; anonymousId?: string }, context: Record<string, unknown> = {}): EventEnvelope => ({ type: 'track', event: 'page_viewed', properties: {}, context, timestamp: at, messageId: `m${++n}`, ...ids });
const identify = (ids: { userId?: string; anonymousId?: string }, traits: Record<string, unknown>): EventEnvelope => ({ type: 'identify', traits, context: {}, timestamp: at, messageId: `m${++n}`, ...ids });

function setup(types = IdentifierTypes.defaults('CN')) {
  const store = new MemoryIdentityStore();
  const resolver = new IdentityResolver(store, types);
  let clock = 1_000;
  const resolve = async (event: EventEnvelope) => {
    const plan = await resolver.plan(event, clock++);
    await resolver.commit(plan);
    return plan;
  };
  const person = async (id: string) => (await livePerson(store, id))?.value;
  return { store, resolver, resolve, person };
}

describe('IdentityResolver', () => {
  it('names a new person after the userId, else the anonymousId, so unlinked users keep their ids', async () => {
    const { resolve } = setup();
    expect((await resolve(track({ userId: 'alice' }))).person).toBe('alice');
    expect((await resolve(track({ anonymousId: 'dev-1' }))).person).toBe('dev-1');
    const again = await resolve(track({ userId: 'alice' }));
    expect(again).toMatchObject({ person: 'alice', created: false, linked: [], merges: [] });
    expect(again.writes.people).toEqual([]); // a known person costs no writes
  });

  it('links a login to the anonymous person, then a second device through the same userId', async () => {
    const { resolve, person } = setup();
    await resolve(track({ anonymousId: 'phone' }));
    const login = await resolve(identify({ userId: 'u1', anonymousId: 'phone' }, {}));
    expect(login).toMatchObject({ person: 'phone', linked: [{ type: 'userId', value: 'u1' }], merges: [] });
    const laptop = await resolve(track({ userId: 'u1', anonymousId: 'laptop' }));
    expect(laptop.person).toBe('phone');
    expect((await person('phone'))!.identifiers).toEqual({ userId: ['u1'], anonymousId: ['phone', 'laptop'] });
    expect((await resolve(track({ anonymousId: 'laptop' }))).person).toBe('phone');
  });

  it('merges two people who turn out to share an identifier; the stronger one survives and the other redirects', async () => {
    const { resolve, person } = setup();
    await resolve(track({ anonymousId: 'a' }));
    await resolve(track({ anonymousId: 'b' }));
    await resolve(identify({ userId: 'u', anonymousId: 'b' }, {}));
    const merge = await resolve(identify({ userId: 'u', anonymousId: 'a' }, {}));
    // b holds a userId now, so b's person is stronger than a's even though a is older
    expect(merge.person).toBe('b');
    expect(merge.merges).toEqual([{ at: expect.any(String), from: 'a', into: 'b', via: { type: 'anonymousId', value: 'a' }, messageId: merge.messageId }]);
    expect((await person('a'))!.id).toBe('b');
    expect((await person('b'))!.identifiers).toEqual({ anonymousId: ['b', 'a'], userId: ['u'] });
    expect((await resolve(track({ anonymousId: 'a' }))).person).toBe('b');
  });

  it('between equally strong people the older survives', async () => {
    const { resolve } = setup();
    await resolve(identify({ anonymousId: 'first' }, { email: 'one@example.com' }));
    await resolve(identify({ anonymousId: 'second' }, { email: 'two@example.com' }));
    const merge = await resolve(identify({ anonymousId: 'first' }, { email: 'TWO@example.com' }));
    expect(merge.merges.map((m) => `${m.from}->${m.into}`)).toEqual(['second->first']);
    expect(merge.person).toBe('first');
  });

  it('never merges two member ids; the refused link is recorded on both people', async () => {
    const { resolve, person } = setup();
    await resolve(track({ userId: 'm1', anonymousId: 'shared-tablet' }));
    const second = await resolve(track({ userId: 'm2', anonymousId: 'shared-tablet' }));
    expect(second.person).toBe('m2');
    expect(second.merges).toEqual([]);
    expect(second.refusals).toEqual([expect.objectContaining({ reason: 'unique', identifier: { type: 'anonymousId', value: 'shared-tablet' }, otherPerson: 'm1' })]);
    expect((await person('m1'))!.refusals).toEqual([expect.objectContaining({ otherPerson: 'm2', reason: 'unique' })]);
    expect((await person('m2'))!.refusals).toEqual([expect.objectContaining({ otherPerson: 'm1', reason: 'unique' })]);
    // the same refusal again writes nothing
    expect((await resolve(track({ userId: 'm2', anonymousId: 'shared-tablet' }))).writes.people).toEqual([]);
    // an alias between two member ids is refused too
    const alias = await resolve({ type: 'alias', userId: 'm2', previousId: 'm1', context: {}, timestamp: at, messageId: 'alias-1' });
    expect(alias.refusals[0]).toMatchObject({ reason: 'unique', identifier: { type: 'userId', value: 'm1' } });
    expect((await person('m1'))!.id).toBe('m1');
  });

  it('refuses a second value of a unique type on a person and stops at a type limit', async () => {
    const types = new IdentifierTypes(IdentifierTypesConfig.parse({ userId: { priority: 1, unique: true }, anonymousId: { priority: 2, limit: 2 } }), 'US');
    const { resolve, person } = setup(types);
    await resolve(track({ userId: 'u', anonymousId: 'd1' }));
    await resolve(track({ userId: 'u', anonymousId: 'd2' }));
    const third = await resolve(track({ userId: 'u', anonymousId: 'd3' }));
    expect(third).toMatchObject({ person: 'u', refusals: [expect.objectContaining({ reason: 'limit' })] });
    expect((await person('u'))!.identifiers.anonymousId).toEqual(['d1', 'd2']);
    // d3 becomes its own person when it shows up alone
    expect((await resolve(track({ anonymousId: 'd3' }))).person).toBe('d3');
    // and merging it into u would exceed the limit
    expect((await resolve(track({ userId: 'u', anonymousId: 'd3' }))).refusals[0]).toMatchObject({ reason: 'limit', otherPerson: 'd3' });
  });

  it('links phone numbers written differently as one E.164 identifier', async () => {
    const { resolve, person } = setup();
    await resolve(identify({ anonymousId: 'web' }, { phone: '+86 138 0013 8000' }));
    const plan = await resolve(identify({ anonymousId: 'app' }, { phone: '13800138000' }));
    expect(plan).toMatchObject({ person: 'web', linked: [{ type: 'anonymousId', value: 'app' }] });
    expect((await person('web'))!.identifiers.phone).toEqual(['+8613800138000']);
    const bad = await resolve(identify({ anonymousId: 'app2' }, { phone: '12' }));
    expect(bad.rejected).toEqual([{ type: 'phone', reason: expect.stringContaining('not a valid phone number') }]);
  });

  it('reads identifiers from context.traits and context.externalIds', async () => {
    const { resolve } = setup();
    await resolve(identify({ userId: 'w' }, { wechat_unionid: 'o6_bmasdasdsad6_2sgVt7hMZOPfL' }));
    expect((await resolve(track({ anonymousId: 'mini-1' }, { externalIds: [{ id: 'o6_bmasdasdsad6_2sgVt7hMZOPfL', type: 'wechat_unionid' }] }))).person).toBe('w');
    expect((await resolve(track({ anonymousId: 'mini-2' }, { traits: { email: 'W@x.io' } }))).person).toBe('mini-2');
  });

  it('links an app reinstall (a new anonymousId) to its person through Segment\'s context.device.id', async () => {
    const { resolve, person } = setup();
    await resolve(track({ anonymousId: 'install-1' }, { device: { id: 'D-1', advertisingId: 'IDFA-1' } }));
    const reinstall = await resolve(track({ anonymousId: 'install-2' }, { device: { id: 'D-1' } }));
    expect(reinstall).toMatchObject({ person: 'install-1', linked: [{ type: 'anonymousId', value: 'install-2' }] });
    expect((await person('install-1'))!.identifiers).toEqual({ device_id: ['D-1'], advertising_id: ['IDFA-1'], anonymousId: ['install-1', 'install-2'] });
    expect((await resolve(track({ anonymousId: 'other' }, { device: { id: 'D-2' } }))).person).toBe('other');
  });

  it('a lost race is a conflict, and planning again from fresh reads succeeds', async () => {
    const { resolver, resolve, store } = setup();
    await resolve(track({ anonymousId: 'a' }));
    const stale = await resolver.plan(identify({ userId: 'u', anonymousId: 'a' }, {}), 5);
    await resolve(track({ userId: 'v', anonymousId: 'a' }));
    await expect(resolver.commit(stale)).rejects.toBeInstanceOf(IdentityConflictError);
    const fresh = await resolver.plan(identify({ userId: 'u', anonymousId: 'a' }, {}), 6);
    expect(fresh.refusals[0]).toMatchObject({ reason: 'unique' });
    await resolver.commit(fresh);
    expect((await livePerson(store, 'a'))!.value.identifiers.userId).toEqual(['v']);
  });

  it('an event whose only identifiers are unusable is refused with the reason', async () => {
    const { resolver } = setup();
    await expect(resolver.plan(track({ userId: '   ' }), 1)).rejects.toThrow(/no usable identifier: userId is empty/);
  });
});

describe('IdentityResolver.warm', () => {
  it('reads in advance everything planning a batch reads, so a cache in front answers every plan', async () => {
    const { store, resolve } = setup();
    await resolve(track({ anonymousId: 'known-device' }));
    await resolve(track({ userId: 'member', anonymousId: 'member-phone' }));
    await resolve(track({ anonymousId: 'other-device' }));
    let reads = 0;
    const counting: IdentityGraphStore = {
      getIdentifier: (id) => (reads++, store.getIdentifier(id)),
      getPerson: (id) => (reads++, store.getPerson(id)),
      putIdentifier: (...args) => store.putIdentifier(...args),
      putPerson: (...args) => store.putPerson(...args),
    };
    const resolver = new IdentityResolver(new CachedIdentityStore(counting), IdentifierTypes.defaults('CN'));
    const batch: EventEnvelope[] = [
      track({ anonymousId: 'known-device' }), // known
      track({ anonymousId: 'brand-new' }), // a new person
      identify({ userId: 'login', anonymousId: 'known-device' }, { email: 'Login@example.com' }), // links
      track({ userId: 'login', anonymousId: 'other-device' }), // merges other-device into known-device
      { type: 'alias', userId: 'alias-user', previousId: 'member', context: {}, timestamp: at, messageId: 'alias-m' }, // previousId is a userId
      track({ userId: 'second-member', anonymousId: 'member-phone' }), // cannot join member: a person of its own
    ];
    await resolver.warm(batch);
    const warmed = reads;
    expect(warmed).toBeGreaterThan(0);
    const people = [];
    for (const event of batch) {
      const plan = await resolver.plan(event, 2_000);
      await resolver.commit(plan);
      people.push(plan.person);
    }
    expect(reads).toBe(warmed);
    expect(people).toEqual(['known-device', 'brand-new', 'known-device', 'known-device', 'alias-user', 'second-member']);
  });
});

describe('IdentityResolver after a crash in the middle of a commit', () => {
  /** Fails the nth write (1-based) once, as a resolver that dies there would stop; later writes go through. */
  function crashingAt(n: number) {
    const store = new MemoryIdentityStore();
    let writes = 0;
    const crash = () => {
      if (++writes === n) throw new Error('resolver died here');
    };
    const crashing: typeof store = Object.assign(Object.create(store), {
      putPerson: async (...args: Parameters<typeof store.putPerson>) => (crash(), store.putPerson(...args)),
      putIdentifier: async (...args: Parameters<typeof store.putIdentifier>) => (crash(), store.putIdentifier(...args)),
    });
    return { store, crashing };
  }

  const story = [
    track({ anonymousId: 'a' }),
    track({ anonymousId: 'b' }),
    identify({ userId: 'u', anonymousId: 'a' }, { email: 'u@example.com' }),
    identify({ userId: 'u', anonymousId: 'b' }, {}), // merges b into a
  ];

  async function replay(store: MemoryIdentityStore | ReturnType<typeof crashingAt>['crashing']) {
    const resolver = new IdentityResolver(store, IdentifierTypes.defaults('US'));
    const people: string[] = [];
    for (const [i, event] of story.entries()) {
      // the raw message is redelivered until its commit completes: plan again from what the graph holds
      for (let attempt = 0; ; attempt++) {
        const plan = await resolver.plan(event, 1000 + i);
        try {
          await resolver.commit(plan);
          people.push(plan.person);
          break;
        } catch (error) {
          if (attempt > 3) throw error;
        }
      }
    }
    return people;
  }

  it('every crash point converges to the graph an uninterrupted run builds', async () => {
    const clean = new MemoryIdentityStore();
    const expectedPeople = await replay(clean);
    const snapshot = async (store: MemoryIdentityStore) => ({
      a: (await livePerson(store, 'a'))?.value,
      b: (await livePerson(store, 'b'))?.value.id,
      u: (await store.getIdentifier({ type: 'userId', value: 'u' }))?.value.person,
    });
    const expected = await snapshot(clean);
    expect(expected.a).toMatchObject({ id: 'a', identifiers: { anonymousId: ['a', 'b'], userId: ['u'], email: ['u@example.com'] } });
    expect(expected.b).toBe('a');
    for (let n = 1; n <= 12; n++) {
      const { store, crashing } = crashingAt(n);
      expect(await replay(crashing)).toEqual(expectedPeople);
      const actual = await snapshot(store);
      expect({ ...actual, a: { ...actual.a, merges: actual.a?.merges.map((m) => `${m.from}->${m.into}`) } }, `crash at write ${n}`)
        .toEqual({ ...expected, a: { ...expected.a, merges: expected.a?.merges.map((m) => `${m.from}->${m.into}`) } });
    }
  });
});
