/**
 * A batch's graph reads, made before its first plan: the identifiers of every event (both readings of
 * an alias's previousId), the id a new person would take, the people those name and a few steps of
 * their merge redirects. In front of a read-through cache (CachedIdentityStore) the plans then read
 * memory only. Each step is one getMany (a few requests for the whole batch against KV) or, on a store
 * without it, parallel single reads. What this misses (a failed read, a longer redirect chain, a taken
 * name's `#2`) the plan reads itself: a round trip, not a different answer.
 */
import type { EventEnvelope } from '../events/envelope';
import { identifierText, type Identifier, type IdentifierTypes } from '../events/identifier-types';
import { identifiersOf } from '../events/identifiers-of-event';
import { inParallel } from './in-parallel';
import { identifierKey, keyOf, personKey, type GraphKey, type GraphRecords, type IdentifierRecord, type IdentityGraphStore, type PersonRecord } from './identity-store';

/** Redirect steps followed ahead (a chain longer than this is rare: each step is a merge of a merge). */
const REDIRECT_STEPS = 4;

/** The id a new person takes: the event's userId, else its anonymousId, else its strongest identifier. */
export const newPersonName = (identifiers: Identifier[]) => (identifiers.find((id) => id.type === 'userId') ?? identifiers.find((id) => id.type === 'anonymousId') ?? identifiers[0]!).value;

export async function warmGraph(store: IdentityGraphStore, types: IdentifierTypes, events: readonly EventEnvelope[], concurrency: number): Promise<void> {
  const identifiers = new Map<string, Identifier>();
  const people = new Set<string>();
  for (const event of events) {
    for (const previousIdType of event.type === 'alias' ? (['anonymousId', 'userId'] as const) : (['anonymousId'] as const)) {
      const { identifiers: ids } = identifiersOf(event, types, previousIdType);
      for (const id of ids) identifiers.set(identifierText(id), id);
      if (ids.length) people.add(newPersonName(ids));
    }
  }
  const found = await readAhead(store, [...[...identifiers.values()].map((id) => ({ identifier: id })), ...[...people].map((person) => ({ person }))], concurrency);
  let next: string[] = [];
  for (const id of identifiers.values()) {
    const person = (found.get(identifierKey(id))?.value as IdentifierRecord | undefined)?.person;
    if (person && !people.has(person)) next.push(person);
  }
  for (const person of people) {
    const into = (found.get(personKey(person))?.value as PersonRecord | undefined)?.mergedInto;
    if (into) next.push(into);
  }
  for (let step = 0; step < REDIRECT_STEPS && next.length; step++) {
    const ids = [...new Set(next)].filter((id) => !people.has(id));
    for (const id of ids) people.add(id);
    const read = await readAhead(store, ids.map((person) => ({ person })), concurrency);
    next = ids.flatMap((id) => {
      const into = (read.get(personKey(id))?.value as PersonRecord | undefined)?.mergedInto;
      return into ? [into] : [];
    });
  }
}

async function readAhead(store: IdentityGraphStore, keys: GraphKey[], concurrency: number): Promise<GraphRecords> {
  if (keys.length === 0) return new Map();
  if (store.getMany) return store.getMany(keys).catch(() => new Map());
  const records: GraphRecords = new Map();
  await inParallel(keys, concurrency, async (key) => records.set(keyOf(key), await ('identifier' in key ? store.getIdentifier(key.identifier) : store.getPerson(key.person))));
  return records;
}
