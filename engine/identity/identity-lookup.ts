/**
 * Finding a person from whatever an operator has at hand — a person id (also one merged away) or any
 * identifier's value, written however the type's normalisation accepts it — for `nudge profile`,
 * `nudge export` and `nudge erase`. Read-only: nothing here writes the graph.
 */
import type { IdentifierTypes } from '../events/identifier-types';
import type { IdentityGraphStore, PersonRecord } from './identity-store';

export interface PersonLookup {
  /** The live person: not merged into anyone. */
  personId: string;
  /** How the text was found: 'person id', or the name of the identifier type it is a value of. */
  via: string;
  /** The identifier's stored (normalised) value, when found by an identifier. */
  value?: string;
  /** Set when the text named a person that has since been merged into `personId`. */
  mergedFrom?: string;
}

/**
 * The person the text names: as a person id first (ids are what operators copy from logs and other
 * commands), then as a value of each configured identifier type, strongest first, so an ambiguous text
 * finds the person the engine would route an event with that value to. Null when nobody has it.
 */
export async function resolveAnyIdentifier(store: IdentityGraphStore, types: IdentifierTypes, text: string): Promise<PersonLookup | null> {
  if (await store.getPerson(text)) {
    const personId = await liveId(store, text);
    return { personId, via: 'person id', ...(personId !== text ? { mergedFrom: text } : {}) };
  }
  for (const type of types.ordered) {
    const normalized = types.normalize(type, text);
    if (!normalized.ok) continue;
    const record = await store.getIdentifier({ type: type.name, value: normalized.value });
    if (record) return { personId: await liveId(store, record.value.person), via: type.name, value: normalized.value };
  }
  return null;
}

/**
 * Follows merge redirects like `livePerson`, but answers with an id even when the chain ends at a record
 * that is gone (an interrupted erase): the person's state and events may still be kept under it.
 */
async function liveId(store: IdentityGraphStore, personId: string): Promise<string> {
  const seen = new Set<string>();
  let id = personId;
  for (;;) {
    const into = (await store.getPerson(id))?.value.mergedInto;
    if (!into || seen.has(id)) return id;
    seen.add(id);
    id = into;
  }
}

/**
 * The people merged into this one, directly or through people merged into them, breadth-first with
 * their tombstone records (null when a record is gone). Their ids are in `merges[].from`; `mergedInto`
 * adds what a scan of tombstones found (into → from ids), since `merges` keeps only the last MAX_HISTORY.
 */
export async function absorbedPeople(
  store: IdentityGraphStore,
  person: PersonRecord,
  mergedInto: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<{ personId: string; record: PersonRecord | null }[]> {
  const found: { personId: string; record: PersonRecord | null }[] = [];
  const seen = new Set([person.id]);
  const queue: { personId: string; record: PersonRecord | null }[] = [{ personId: person.id, record: person }];
  while (queue.length) {
    const { personId, record } = queue.shift()!;
    for (const from of [...(record?.merges ?? []).map((m) => m.from), ...(mergedInto.get(personId) ?? [])]) {
      if (seen.has(from)) continue;
      seen.add(from);
      const absorbed = { personId: from, record: (await store.getPerson(from))?.value ?? null };
      found.push(absorbed);
      queue.push(absorbed);
    }
  }
  return found;
}
