/**
 * The identity graph in NATS KV (bucket nudge_identity). Two kinds of keys:
 *   i.<type>.<base64url(value)>  → { person }        which person an identifier belongs to
 *   p.<base64url(id)>            → PersonRecord      the person: identifiers, merges, refused links
 * A merged-away person keeps its record with `mergedInto` (a tombstone), so an identifier record that
 * still names it resolves by following the chain. Every write is compare-and-set on the revision read;
 * a conflict is IdentityConflictError and the resolver starts that event over from fresh reads.
 */
import type { KV } from '@nats-io/kv';
import type { Identifier } from './identifier-types';

export const IDENTITY_BUCKET = 'nudge_identity';
/** Merges and refusals kept per person, newest last. */
export const MAX_HISTORY = 50;

export interface MergeRecord {
  /** Server time of the merge (ISO-8601). */
  at: string;
  /** The person merged away (its id now resolves to `into`). */
  from: string;
  into: string;
  /** The identifier the two people shared. */
  via: Identifier;
  /** The event that carried the link. */
  messageId: string;
}

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
export const identifierKey = (id: Identifier) => `i.${id.type}.${b64(id.value)}`;
export const personKey = (personId: string) => `p.${b64(personId)}`;
export const personIdOfKey = (key: string) => Buffer.from(key.slice(2), 'base64url').toString('utf8');

/** Reads and writes of the graph; the KV store and the simulator's in-memory store implement it. */
export interface IdentityGraphStore {
  getIdentifier(id: Identifier): Promise<Versioned<{ person: string }> | null>;
  getPerson(personId: string): Promise<Versioned<PersonRecord> | null>;
  /** revision 0: create (fails if it exists). Throws IdentityConflictError on a lost race. */
  putIdentifier(id: Identifier, person: string, revision: number): Promise<number>;
  putPerson(record: PersonRecord, revision: number): Promise<number>;
}

export class KvIdentityStore implements IdentityGraphStore {
  constructor(readonly kv: KV) {}

  async getIdentifier(id: Identifier) {
    return this.read<{ person: string }>(identifierKey(id));
  }

  async getPerson(personId: string) {
    return this.read<PersonRecord>(personKey(personId));
  }

  putIdentifier(id: Identifier, person: string, revision: number) {
    return this.write(identifierKey(id), { person }, revision);
  }

  putPerson(record: PersonRecord, revision: number) {
    return this.write(personKey(record.id), record, revision);
  }

  private async read<T>(key: string): Promise<Versioned<T> | null> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return null;
    return { value: entry.json<T>(), revision: entry.revision };
  }

  private async write(key: string, value: unknown, revision: number): Promise<number> {
    const data = JSON.stringify(value);
    try {
      return revision === 0 ? await this.kv.create(key, data) : await this.kv.update(key, data, revision);
    } catch (error) {
      if (/wrong last sequence|key exists/i.test(String((error as Error).message))) throw new IdentityConflictError(key);
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

/** In memory, for the simulator and unit tests: the same compare-and-set semantics as KV. */
export class MemoryIdentityStore implements IdentityGraphStore {
  private readonly entries = new Map<string, { data: string; revision: number }>();
  private revision = 0;

  async getIdentifier(id: Identifier) {
    return this.read<{ person: string }>(identifierKey(id));
  }

  async getPerson(personId: string) {
    return this.read<PersonRecord>(personKey(personId));
  }

  async putIdentifier(id: Identifier, person: string, revision: number) {
    return this.write(identifierKey(id), { person }, revision);
  }

  async putPerson(record: PersonRecord, revision: number) {
    return this.write(personKey(record.id), record, revision);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  private read<T>(key: string): Versioned<T> | null {
    const entry = this.entries.get(key);
    return entry ? { value: JSON.parse(entry.data) as T, revision: entry.revision } : null;
  }

  private write(key: string, value: unknown, revision: number): number {
    const current = this.entries.get(key);
    if ((current?.revision ?? 0) !== revision) throw new IdentityConflictError(key);
    const next = ++this.revision;
    this.entries.set(key, { data: JSON.stringify(value), revision: next });
    return next;
  }
}
