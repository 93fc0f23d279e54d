/**
 * The batch crash argument (identity/ARCHITECTURE.md), replayed at every crash point: one batch is
 * planned, any set of its graph writes that a crash can leave is written (a set that holds, with each
 * write, every write it must come after), the resolver restarts with an empty cache and replays the
 * batch from the checkpoint against that graph. Every replay must route each event to the person the
 * uninterrupted run did or to the person that absorbed it, leave a merge control message for every
 * merge, and end with the graph the uninterrupted run built: no identifier link lost or doubled.
 */
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../events/envelope';
import { RAW_SUBJECT } from '../events/subjects';
import { createLogger } from '../../platform/logger';
import type { BatchGraph } from './batch-graph';
import { CachedIdentityStore } from './cached-identity-store';
import { IdentifierTypes } from '../events/identifier-types';
import { IdentityResolver } from './identity-resolver';
import { livePerson, MemoryIdentityStore, personIdOfKey, personKey, type MergeRecord, type PersonRecord } from './identity-store';
import { planBatch, type BatchSink, type RawMessage } from './plan-batch';

const types = IdentifierTypes.defaults('US');
const at = '2026-12-01T10:00:00.000Z';
let n = 0;
const track = (ids: { userId?: string; anonymousId?: string }): EventEnvelope => ({ type: 'track', event: 'viewed', properties: {}, context: {}, timestamp: at, messageId: `m${++n}`, ...ids });
const identify = (ids: { userId?: string; anonymousId?: string }, traits: Record<string, unknown>): EventEnvelope => ({ type: 'identify', traits, context: {}, timestamp: at, messageId: `m${++n}`, ...ids });
const alias = (userId: string, previousId: string): EventEnvelope => ({ type: 'alias', userId, previousId, context: {}, timestamp: at, messageId: `m${++n}` });

/** Raw messages at stream sequences from `firstSeq`, a second apart (the stream's time is the plan's time). */
const raw = (events: EventEnvelope[], firstSeq: number): RawMessage[] =>
  events.map((event, i) => {
    const data = new TextEncoder().encode(JSON.stringify(event));
    return { seq: firstSeq + i, subject: RAW_SUBJECT, data, headers: undefined, json: <T>() => JSON.parse(new TextDecoder().decode(data)) as T, info: { timestampNanos: (1_000 + firstSeq + i) * 1e9 } };
  });

interface Story {
  name: string;
  /** Committed before the batch. */
  before: RawMessage[];
  batch: RawMessage[];
  routes: string[];
  merges: string[];
}

const story = (name: string, before: EventEnvelope[], batch: EventEnvelope[], routes: string[], merges: string[]): Story => ({ name, before: raw(before, 1), batch: raw(batch, before.length + 1), routes, merges });

const stories: Story[] = [
  story('links and a merge in one batch; an alias read before its previousId became a userId',
    [track({ anonymousId: 'a' })],
    [
      track({ anonymousId: 'b' }), // a new person…
      identify({ userId: 'u', anonymousId: 'b' }, { email: 'u@example.com' }), // …sharing its new identifier with the next event, which links a userId and an email
      track({ userId: 'u', anonymousId: 'a' }), // a (from before the batch) merged into b
      track({ anonymousId: 'a' }), // the merged-away person's next event, same batch
      alias('newbie', 'p'), // p is no userId yet: an anonymousId of newbie's
      track({ userId: 'p' }), // now p is a userId of its own (a replay must not read the alias differently)
    ],
    ['b', 'b', 'b', 'b', 'newbie', 'p'], ['a->b']),
  story('a merge chain made and ended in one batch; a refused link',
    [track({ userId: 'zed', anonymousId: 'z' })],
    [
      track({ anonymousId: 'c' }), // created in the batch…
      identify({ anonymousId: 'd' }, { email: 'cd@example.com' }),
      identify({ anonymousId: 'c' }, { email: 'cd@example.com' }), // …merged into d (its email is stronger)…
      track({ userId: 'zed', anonymousId: 'd' }), // …and d into zed
      track({ userId: 'm2', anonymousId: 'z' }), // a second member id on zed's device: refused
      track({ anonymousId: 'c' }), // c's identifier record now names zed, past two redirects
    ],
    ['c', 'd', 'd', 'zed', 'm2', 'zed'], ['c->d', 'd->zed']),
];

interface Run {
  graph: BatchGraph;
  routes: string[];
  controls: MergeRecord[];
}

const recorder = (routes: string[], controls: MergeRecord[]): BatchSink => ({
  event: (_msg, person) => void routes.push(person),
  control: (_msg, merge) => void controls.push(merge),
  deadLetter: (_msg, reason) => {
    throw new Error(`dead-lettered: ${reason}`);
  },
  stored: () => Promise.resolve(),
});

/** Plans `msgs` as one batch against `store` behind a fresh cache (a restarted resolver), writing nothing yet. */
async function plan(store: MemoryIdentityStore, msgs: RawMessage[]): Promise<Run> {
  const cache = new CachedIdentityStore(store);
  const routes: string[] = [];
  const controls: MergeRecord[] = [];
  const graph = await planBatch({ resolver: new IdentityResolver(cache, types), store: cache, log: createLogger('test', 'silent') }, msgs, recorder(routes, controls));
  return { graph, routes, controls };
}

/** Plans and writes `msgs` in batches of `size`. */
async function resolveAll(store: MemoryIdentityStore, msgs: RawMessage[], size = msgs.length): Promise<Omit<Run, 'graph'>> {
  const routes: string[] = [];
  const controls: MergeRecord[] = [];
  for (let i = 0; i < msgs.length; i += size) {
    const run = await plan(store, msgs.slice(i, i + size));
    await run.graph.write(4);
    routes.push(...run.routes);
    controls.push(...run.controls);
  }
  return { routes, controls };
}

async function graphBefore(story: Story): Promise<MemoryIdentityStore> {
  const store = new MemoryIdentityStore();
  await resolveAll(store, story.before);
  return store;
}

/** What the graph says, as a person would be found: each identifier's live person, each live person's identifiers. */
async function meaning(store: MemoryIdentityStore) {
  const people: Record<string, Record<string, string[]>> = {};
  const holders = new Map<string, string[]>();
  for (const key of store.keys().filter((k) => k.startsWith('p.'))) {
    const record = (await store.getPerson(personIdOfKey(key)))!.value;
    if (record.mergedInto) continue;
    people[record.id] = Object.fromEntries(Object.entries(record.identifiers).map(([type, values]) => [type, [...values].sort()]));
    for (const [type, values] of Object.entries(record.identifiers)) for (const value of values) holders.set(`${type}:${value}`, [...(holders.get(`${type}:${value}`) ?? []), record.id]);
  }
  const links: Record<string, string | undefined> = {};
  for (const [id, held] of holders) {
    const [type, value] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
    const record = await store.getIdentifier({ type, value });
    links[id] = record ? (await livePerson(store, record.value.person))?.value.id : undefined;
    expect(held, `${id} held by one live person`).toHaveLength(1);
  }
  return { people, links };
}

/** The person `id` finally redirects to, and every id on the way. */
async function chain(store: MemoryIdentityStore, id: string): Promise<string[]> {
  const ids = [id];
  for (let record: PersonRecord | undefined = (await store.getPerson(id))?.value; record?.mergedInto; record = (await store.getPerson(record.mergedInto))?.value) ids.push(record.mergedInto);
  return ids;
}

/**
 * Every set of writes closed under "comes after" (what a crash can leave), as indexes into `writes`,
 * which are in an order where each write follows those it comes after.
 */
function crashPoints(writes: { key: string; after: readonly string[] }[]): number[][] {
  const index = new Map(writes.map((w, i) => [w.key, i]));
  const needs = writes.map((w) => w.after.map((k) => index.get(k)).filter((i): i is number => i !== undefined));
  const all: number[][] = [];
  const grow = (i: number, taken: number[]) => {
    if (i === writes.length) return void all.push(taken);
    grow(i + 1, taken);
    if (needs[i]!.every((j) => taken.includes(j))) grow(i + 1, [...taken, i]);
  };
  grow(0, []);
  return all;
}

/** `writes` ordered so that each comes after those it must follow (as WriteSchedule runs them). */
function inWriteOrder<T extends { key: string; after: readonly string[] }>(writes: T[]): T[] {
  const order: T[] = [];
  const visit = (w: T) => {
    if (order.includes(w)) return;
    for (const key of w.after) {
      const need = writes.find((x) => x.key === key);
      if (need && need !== w) visit(need);
    }
    order.push(w);
  };
  writes.forEach(visit);
  return order;
}

describe.each(stories)('a resolver batch after a crash at any point of its graph writes: $name', (story) => {
  it('replays to the same people (or who absorbed them), every merge\'s control message and the same graph', async () => {
    const clean = await graphBefore(story);
    const expected = await resolveAll(clean, story.batch);
    const expectedMeaning = await meaning(clean);
    expect(expected.routes).toEqual(story.routes);
    expect(expected.controls.map((m) => `${m.from}->${m.into}`)).toEqual(story.merges);

    const order = inWriteOrder((await plan(await graphBefore(story), story.batch)).graph.plannedWrites());
    const points = crashPoints(order);
    expect(points.length).toBeGreaterThan(order.length); // more than the prefixes of one order

    for (const [size, label] of [[story.batch.length, 'as one batch'], [1, 'one event per batch']] as const) {
      for (const point of points) {
        const store = await graphBefore(story);
        const attempt = await plan(store, story.batch); // the attempt that crashed: its plans, then some of its writes
        const planned = attempt.graph.plannedWrites();
        for (const i of point) await planned.find((w) => w.key === order[i]!.key)!.write();
        const where = `crash after writes [${point.map((i) => order[i]!.key).join(', ')}], replayed ${label}`;

        const replay = await resolveAll(store, story.batch, size);
        for (const [i, person] of replay.routes.entries()) expect(await chain(store, expected.routes[i]!), `${where}: event ${i}`).toContain(person);
        // A redirect is written only once its merge's control message is stored.
        const stored = attempt.controls.filter((m) => point.some((i) => order[i]!.key === personKey(m.from)));
        for (const merge of expected.controls) {
          const sent = [...stored, ...replay.controls].filter((m) => m.from === merge.from);
          expect(sent.length, `${where}: a control for ${merge.from}`).toBeGreaterThan(0);
          for (const m of sent) expect(await chain(store, merge.from), where).toContain(m.into);
        }
        expect(await meaning(store), where).toEqual(expectedMeaning);
      }
    }
  }, 60_000);
});
