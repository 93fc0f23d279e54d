/**
 * A read-through cache in front of the identity graph, for the resolver. The resolver is the graph's
 * only writer (identity/ARCHITECTURE.md), so what it wrote is what the graph holds: most events then
 * resolve without a round trip to KV. Every write still goes to KV with compare-and-set on the revision
 * the cache holds; a conflict (a record changed behind the cache: an operator's `nudge erase`, a second
 * resolver by mistake) drops that record from the cache, so the resolver's re-plan reads it fresh.
 * Entries also expire after `ttlMs`, bounding how long a change made elsewhere can go unseen, and the
 * resolver loop clears the cache when it (re)starts: it may have been another engine's turn meanwhile.
 */
import type { Identifier } from '../events/identifier-types';
import { inParallel } from './in-parallel';
import { identifierKey, keyOf, personKey, type GraphKey, type GraphRecords, type IdentifierRecord, type IdentityGraphStore, type PersonRecord, type Versioned } from './identity-store';

/** Reads one by one when the graph cannot read many at once: beyond a few dozen nats-server answers no faster. */
const READS_IN_FLIGHT = 64;

interface Entry {
  value: Versioned<unknown> | null;
  expires: number;
}

export class CachedIdentityStore implements IdentityGraphStore {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: IdentityGraphStore,
    private readonly options: { maxEntries?: number; ttlMs?: number; now?: () => number } = {},
  ) {}

  /** Forgets everything: the next reads go to the graph. */
  clear(): void {
    this.entries.clear();
  }

  getIdentifier(id: Identifier) {
    const key = identifierKey(id);
    const now = this.now();
    return this.cached<IdentifierRecord>(key, now) ?? this.load(key, this.inner.getIdentifier(id), now);
  }

  getPerson(personId: string) {
    const key = personKey(personId);
    const now = this.now();
    return this.cached<PersonRecord>(key, now) ?? this.load(key, this.inner.getPerson(personId), now);
  }

  putIdentifier(id: Identifier, person: string, revision: number, seq?: number) {
    return this.write(identifierKey(id), seq === undefined ? { person } : { person, seq }, this.inner.putIdentifier(id, person, revision, seq));
  }

  /**
   * Cached as it is, not copied: a record written is not changed afterwards (the resolver copies a
   * person before changing it, identity-resolver.ts own(), and a batch hands over only its final
   * records), as a record read must not be changed by its reader.
   */
  putPerson(record: PersonRecord, revision: number) {
    return this.write(personKey(record.id), record, this.inner.putPerson(record, revision));
  }

  /**
   * Answers from the cache what it holds and reads the rest at once: through the graph's getMany when
   * it has one (a few requests for a whole batch), else one read per key, in parallel.
   */
  async getMany(keys: readonly GraphKey[]): Promise<GraphRecords> {
    const now = (this.options.now ?? Date.now)();
    const records: GraphRecords = new Map();
    const missing: GraphKey[] = [];
    for (const key of keys) {
      const name = keyOf(key);
      const cached = this.entries.get(name);
      if (cached && cached.expires > now) records.set(name, cached.value as Versioned<PersonRecord> | null);
      else missing.push(key);
    }
    this.hits += keys.length - missing.length;
    this.misses += missing.length;
    let read: GraphRecords = new Map();
    if (this.inner.getMany) read = await this.inner.getMany(missing);
    else await inParallel(missing, READS_IN_FLIGHT, async (key) => read.set(keyOf(key), await ('identifier' in key ? this.inner.getIdentifier(key.identifier) : this.inner.getPerson(key.person))));
    for (const [key, value] of read) {
      this.remember(key, value, now);
      records.set(key, value);
    }
    return records;
  }

  /** The cached record (a resolved promise), or undefined when it is not cached or has expired. */
  private cached<T>(key: string, now: number): Promise<Versioned<T> | null> | undefined {
    const cached = this.entries.get(key);
    if (!cached || cached.expires <= now) return undefined;
    this.hits++;
    return Promise.resolve(cached.value as Versioned<T> | null);
  }

  /** `loading` is the read of a key the cache did not hold; it expires `ttlMs` after `now`, when it was asked for. */
  private async load<T>(key: string, loading: Promise<Versioned<T> | null>, now: number): Promise<Versioned<T> | null> {
    this.misses++;
    const value = await loading;
    this.remember(key, value, now);
    return value;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async write(key: string, value: unknown, put: Promise<number>): Promise<number> {
    try {
      const revision = await put;
      this.remember(key, { value, revision }, (this.options.now ?? Date.now)());
      return revision;
    } catch (error) {
      // A conflict (or a failed write) leaves the record unknown: read it fresh next time.
      this.entries.delete(key);
      throw error;
    }
  }

  private remember(key: string, value: Versioned<unknown> | null, now: number) {
    this.entries.delete(key); // re-insert: Map order is least recently stored first
    this.entries.set(key, { value, expires: now + (this.options.ttlMs ?? 60_000) });
    const max = this.options.maxEntries ?? 200_000;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value!);
  }
}
