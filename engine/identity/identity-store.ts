/**
 * The identity graph in NATS KV (bucket nudge_identity). Two kinds of keys:
 *   i.<type>.<base64url(value)>  → { person, seq }   which person an identifier belongs to
 *   p.<base64url(id)>            → PersonRecord      the person: identifiers, merges, refused links
 * A merged-away person keeps its record with `mergedInto` (a tombstone), so an identifier record that
 * still names it resolves by following the chain. Every write is compare-and-set on the revision read;
 * a conflict is IdentityConflictError: someone else wrote the graph, and the resolver's batch fails.
 */
import type { KV } from '@nats-io/kv';
import type { Identifier } from '../events/identifier-types';
import { readManyKeys } from './kv-read-many';
import { PubAckRefusedError } from '../../platform/nats/pub-ack-pipeline';
import { PipelinedKvWriter, WRONG_LAST_SEQUENCE } from './kv-writer';
import { isCasFailure } from '../../platform/nats/compare-and-set';

export const IDENTITY_BUCKET = 'nudge_identity';
/** Merges and refusals kept per person, newest last. */
export const MAX_HISTORY = 50;

// The merge record is part of the event contract (engine/events/merge-record.ts); the graph stores it.
import type { MergeRecord } from '../events/merge-record';
export type { MergeRecord };

export interface RefusalRecord {
  at: string;
  identifier: Identifier;
  /** unique: the person already holds another value of a unique type; limit: the type's limit is reached. */
  reason: 'unique' | 'limit';
  detail: string;
  /** The other person the link would have merged with, when there was one. */
  otherPerson?: string;
  messageId: string;
}

export interface PersonRecord {
  v: 1;
  id: string;
  /** Server time the person was first seen (ms). */
  createdAt: number;
  /** type → values, first linked first. */
  identifiers: Record<string, string[]>;
  /** Set once this person has been merged into another; the record then only redirects. */
  mergedInto?: string;
  merges: MergeRecord[];
  refusals: RefusalRecord[];
}

export interface IdentifierRecord {
  person: string;
  /**
   * Raw-stream sequence of the event that created the link (absent on links made before it was
   * recorded). A resolver replaying a batch after a crash treats a link created by a later event of
   * the batch as not there yet (batch-graph.ts), so the replay decides each event as the first attempt did.
   */
  seq?: number;
}

/**
 * A copy of a person that can be changed without touching the original: the identifier lists are
 * copied, merge and refusal entries are shared (nothing changes one in place; lists are replaced).
 * structuredClone did the same at several times the cost, once per person per event.
 */
export function copyPerson(record: PersonRecord): PersonRecord {
  const identifiers: Record<string, string[]> = {};
  for (const type in record.identifiers) identifiers[type] = [...record.identifiers[type]!];
  return { ...record, identifiers, merges: [...record.merges], refusals: [...record.refusals] };
}

export interface Versioned<T> {
  value: T;
  revision: number;
}

export class IdentityConflictError extends Error {
  constructor(key: string) {
    super(`identity record ${key} changed while it was being updated`);
    this.name = 'IdentityConflictError';
  }
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url') || '_';
/**
 * Keys computed lately, by type and value: a batch asks for the same record's key in the warm-up, the
 * cache, the batch's view and its writes, and a person's ids come back event after event (base64
 * through a Buffer each time was ~3% of the resolver's CPU). Forgotten all at once when full: a bound,
 * not an LRU. By value only: a WeakMap by identifier object cost ~2 µs per new object (a get and a set
 * in an ephemeron table), several times the two Map look-ups, and every event brings new objects.
 */
const KEYS_KEPT = 50_000;
const personKeys = new Map<string, string>();
const identifierKeys = new Map<string, Map<string, string>>();
let identifierKeysKept = 0;

export const identifierKey = (id: Identifier) => {
  let byValue = identifierKeys.get(id.type);
  if (!byValue) identifierKeys.set(id.type, (byValue = new Map()));
  let key = byValue.get(id.value);
  if (key === undefined) {
    if (identifierKeysKept >= KEYS_KEPT) {
      for (const values of identifierKeys.values()) values.clear();
      identifierKeysKept = 0;
    }
    byValue.set(id.value, (key = `i.${id.type}.${b64(id.value)}`));
    identifierKeysKept++;
  }
  return key;
};

export const personKey = (personId: string) => {
  let key = personKeys.get(personId);
  if (key === undefined) {
    if (personKeys.size >= KEYS_KEPT) personKeys.clear();
    personKeys.set(personId, (key = `p.${b64(personId)}`));
  }
  return key;
};
export const personIdOfKey = (key: string) => Buffer.from(key.slice(2), 'base64url').toString('utf8');

/** A record of the graph, named for a typed read. */
export type GraphKey = { identifier: Identifier } | { person: string };
export const keyOf = (key: GraphKey) => ('identifier' in key ? identifierKey(key.identifier) : personKey(key.person));

/** Records by key (keyOf): null when the graph has none; a key missing from the map could not be read. */
export type GraphRecords = Map<string, Versioned<IdentifierRecord | PersonRecord> | null>;

/** Reads and writes of the graph; the KV store and the simulator's in-memory store implement it. */
export interface IdentityGraphStore {
  getIdentifier(id: Identifier): Promise<Versioned<IdentifierRecord> | null>;
  getPerson(personId: string): Promise<Versioned<PersonRecord> | null>;
  /**
   * revision 0: create (fails if it exists). Throws IdentityConflictError on a lost race. `seq`: the
   * raw-stream sequence of the event that created the link (IdentifierRecord.seq).
   */
  putIdentifier(id: Identifier, person: string, revision: number, seq?: number): Promise<number>;
  putPerson(record: PersonRecord, revision: number): Promise<number>;
  /** Optional: many records in a few round trips (a batch's warm-up); what it cannot read it leaves out. */
  getMany?(keys: readonly GraphKey[]): Promise<GraphRecords>;
}

const identifierValue = (person: string, seq: number | undefined): IdentifierRecord => (seq === undefined ? { person } : { person, seq });

export class KvIdentityStore implements IdentityGraphStore {
  /** Pipelined compare-and-set writes (kv-writer.ts), or the KV client's own when it cannot make one. */
  private writer: PipelinedKvWriter | 'kv' | undefined;

  constructor(readonly kv: KV) {}

  async getIdentifier(id: Identifier) {
    return this.read<IdentifierRecord>(identifierKey(id));
  }

  async getPerson(personId: string) {
    return this.read<PersonRecord>(personKey(personId));
  }

  putIdentifier(id: Identifier, person: string, revision: number, seq?: number) {
    return this.write(identifierKey(id), identifierValue(person, seq), revision);
  }

  putPerson(record: PersonRecord, revision: number) {
    return this.write(personKey(record.id), record, revision);
  }

  getMany(keys: readonly GraphKey[]): Promise<GraphRecords> {
    return readManyKeys(this.kv, keys.map(keyOf), (key) => this.read(key)) as Promise<GraphRecords>;
  }

  private async read<T>(key: string): Promise<Versioned<T> | null> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return null;
    return { value: entry.json<T>(), revision: entry.revision };
  }

  private async write(key: string, value: unknown, revision: number): Promise<number> {
    const data = JSON.stringify(value);
    const writer = (this.writer ??= PipelinedKvWriter.of(this.kv) ?? 'kv');
    try {
      if (writer === 'kv') return revision === 0 ? await this.kv.create(key, data) : await this.kv.update(key, data, revision);
      try {
        return await writer.write(key, data, revision);
      } catch (error) {
        // As kv.create does: a key deleted (`nudge erase`) has a delete marker, and is created over it.
        if (revision !== 0 || !(error instanceof PubAckRefusedError && error.errCode === WRONG_LAST_SEQUENCE)) throw error;
        const marker = await this.kv.get(key);
        if (!marker || marker.operation === 'PUT') throw error;
        return await writer.write(key, data, marker.revision);
      }
    } catch (error) {
      if (isCasFailure(error)) throw new IdentityConflictError(key);
      throw error;
    }
  }
}

/** The person an identifier (or a person id) finally resolves to, following merge redirects. */
export async function livePerson(store: IdentityGraphStore, personId: string): Promise<Versioned<PersonRecord> | null> {
  const seen = new Set<string>();
  let current = await store.getPerson(personId);
  while (current?.value.mergedInto && !seen.has(current.value.id)) {
    seen.add(current.value.id);
    current = await store.getPerson(current.value.mergedInto);
  }
  return current;
}

/**
 * In memory, for the simulator and unit tests: the same compare-and-set semantics as KV. Records are
 * kept as objects, not JSON: a read returns the stored record itself (as CachedIdentityStore does), so
 * readers must not change it — the resolver copies a person before changing it (copyPerson) — and a
 * written person is copied, since its writer may go on changing its own. A JSON round trip per read
 * and write was the largest single cost of a simulated event. Identifiers are found by type and value,
 * without computing their KV key (base64) on every look-up.
 */
export class MemoryIdentityStore implements IdentityGraphStore {
  private readonly identifiers = new Map<string, Map<string, Versioned<IdentifierRecord>>>();
  private readonly people = new Map<string, Versioned<PersonRecord>>();
  private revision = 0;

  async getIdentifier(id: Identifier) {
    return this.identifierEntry(id);
  }

  async getPerson(personId: string) {
    return this.people.get(personId) ?? null;
  }

  async putIdentifier(id: Identifier, person: string, revision: number, seq?: number) {
    const current = this.identifierEntry(id);
    if ((current?.revision ?? 0) !== revision) throw new IdentityConflictError(identifierKey(id));
    let byValue = this.identifiers.get(id.type);
    if (!byValue) this.identifiers.set(id.type, (byValue = new Map()));
    const next = ++this.revision;
    byValue.set(id.value, { value: identifierValue(person, seq), revision: next });
    return next;
  }

  async getMany(keys: readonly GraphKey[]): Promise<GraphRecords> {
    return new Map(keys.map((key) => [keyOf(key), 'identifier' in key ? this.identifierEntry(key.identifier) : (this.people.get(key.person) ?? null)]));
  }

  async putPerson(record: PersonRecord, revision: number) {
    if ((this.people.get(record.id)?.revision ?? 0) !== revision) throw new IdentityConflictError(personKey(record.id));
    const next = ++this.revision;
    this.people.set(record.id, { value: withoutUndefined(copyPerson(record)), revision: next });
    return next;
  }

  /** The KV keys the records would have (i.<type>.<value>, p.<id>), for tests that read the graph whole. */
  keys(): string[] {
    const keys: string[] = [];
    for (const [type, byValue] of this.identifiers) for (const value of byValue.keys()) keys.push(identifierKey({ type, value }));
    for (const id of this.people.keys()) keys.push(personKey(id));
    return keys;
  }

  private identifierEntry(id: Identifier): Versioned<IdentifierRecord> | null {
    return this.identifiers.get(id.type)?.get(id.value) ?? null;
  }
}

/** What a JSON round trip (the KV store) would leave of a person: no fields that are undefined. */
function withoutUndefined(record: PersonRecord): PersonRecord {
  if (Object.hasOwn(record, 'mergedInto') && record.mergedInto === undefined) delete record.mergedInto;
  return record;
}
