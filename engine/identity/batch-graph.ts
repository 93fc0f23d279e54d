/**
 * The graph as one batch of the resolver sees it: the committed graph (the cache, else KV; read once
 * per key per batch) overlaid with everything planned so far in the batch. The batch's plans are
 * committed into it, in memory, so each event is planned against its predecessors exactly as if they
 * had been written; write() then writes the batch's final value of every key it changed, once, behind
 * the plans (the engine's partition loop does the same with person states).
 *
 * What makes a replay after a crash in the middle of write() decide as the failed attempt did
 * (identity/ARCHITECTURE.md, point 3, has the argument):
 *   - an identifier record carries the raw sequence of the event that created it, and while the event at
 *     `seq` is planned a record created by a later event reads as absent: a replay must not find the
 *     links of its own future (a record from before the batch always has a smaller sequence);
 *   - write() holds back what must not be seen before something else: an identifier record until every
 *     person it named during the batch is written (W1: the person it names, and the one it stopped
 *     naming because that one was merged away), a redirect until its survivor is written (W2) and until
 *     its merge's hand-off, with everything published before it, is stored (W3, holdRedirect).
 *     Everything else goes out at once, at most `concurrency` writes in flight.
 * Writes are compare-and-set on the revision the batch read (create when there was none); a failure
 * stops issuing writes, lets those in flight settle and throws the first error: the batch fails.
 */
import type { Identifier } from '../events/identifier-types';
import { IdentityConflictError, identifierKey, personKey, type IdentifierRecord, type IdentityGraphStore, type PersonRecord, type Versioned } from './identity-store';
import { WriteSchedule, type ScheduledWrite } from './write-schedule';

/** The revision the view gives a value planned in this batch: it has none in KV yet. */
export const PLANNED_REVISION = -1;

type Slot =
  | { kind: 'person'; base: Versioned<PersonRecord> | null; planned?: PersonRecord }
  | { kind: 'identifier'; id: Identifier; base: Versioned<IdentifierRecord> | null; planned?: IdentifierRecord; named: Set<string> };

type IdentifierSlot = Extract<Slot, { kind: 'identifier' }>;
type PersonSlot = Extract<Slot, { kind: 'person' }>;

function planPerson(slot: PersonSlot, record: PersonRecord, revision: number): number {
  const seen = slot.planned ? PLANNED_REVISION : (slot.base?.revision ?? 0);
  if (revision !== seen) throw new IdentityConflictError(personKey(record.id));
  slot.planned = record;
  return PLANNED_REVISION;
}

// The writes' closures come from these, not from arrows in the write objects: tsx (esbuild keepNames)
// names an arrow assigned to a property with defineProperty each time one is made (~2% of the CPU).
function personWrite(store: IdentityGraphStore, record: PersonRecord, revision: number): () => Promise<number> {
  return () => store.putPerson(record, revision);
}

function identifierWrite(store: IdentityGraphStore, id: Identifier, person: string, revision: number, seq: number | undefined): () => Promise<number> {
  return () => store.putIdentifier(id, person, revision, seq);
}

/** `plan()`'s result as a promise, its throw as a rejection (as from an async function, without one). */
function inPromise<T>(plan: () => T): Promise<T> {
  try {
    return Promise.resolve(plan());
  } catch (error) {
    return Promise.reject(error);
  }
}

const personView = (slot: PersonSlot): Versioned<PersonRecord> | null => (slot.planned ? { value: slot.planned, revision: PLANNED_REVISION } : slot.base);

export class BatchGraph implements IdentityGraphStore {
  private readonly slots = new Map<string, Slot>();
  private readonly redirectsHeld = new Map<string, Promise<void>>();
  private seq = 0;

  constructor(private readonly committed: IdentityGraphStore) {}

  /** What is read and planned from now on is for the raw event at stream sequence `seq`. */
  planning(seq: number): void {
    this.seq = seq;
  }

  getIdentifier(id: Identifier): Promise<Versioned<IdentifierRecord> | null> {
    // Most reads find their slot: answered without an async frame per layer (the warm-up filled the cache).
    const slot = this.slots.get(identifierKey(id)) as IdentifierSlot | undefined;
    return slot ? Promise.resolve(this.identifierView(slot)) : this.identifierSlot(id).then((s) => this.identifierView(s));
  }

  getPerson(personId: string): Promise<Versioned<PersonRecord> | null> {
    const slot = this.slots.get(personKey(personId)) as PersonSlot | undefined;
    return slot ? Promise.resolve(personView(slot)) : this.personSlot(personId).then(personView);
  }

  putIdentifier(id: Identifier, person: string, revision: number): Promise<number> {
    const slot = this.slots.get(identifierKey(id)) as IdentifierSlot | undefined;
    return slot ? inPromise(() => this.planIdentifier(slot, id, person, revision)) : this.identifierSlot(id).then((s) => this.planIdentifier(s, id, person, revision));
  }

  putPerson(record: PersonRecord, revision: number): Promise<number> {
    const slot = this.slots.get(personKey(record.id)) as PersonSlot | undefined;
    return slot ? inPromise(() => planPerson(slot, record, revision)) : this.personSlot(record.id).then((s) => planPerson(s, record, revision));
  }

  private planIdentifier(slot: IdentifierSlot, id: Identifier, person: string, revision: number): number {
    const seen = slot.planned ? PLANNED_REVISION : (this.visible(slot.base)?.revision ?? 0);
    if (revision !== seen) throw new IdentityConflictError(identifierKey(id)); // a plan of this batch read another version: a bug, not a race
    // The link keeps the sequence of the event that made it; one this event (re)creates gets its own.
    const seq = slot.planned ? slot.planned.seq : this.visible(slot.base) ? slot.base!.value.seq : this.seq;
    slot.planned = seq === undefined ? { person } : { person, seq };
    slot.named.add(person);
    return PLANNED_REVISION;
  }

  /** `personId`'s redirect (a merge planned in this batch) is not written before `stored` resolves. */
  holdRedirect(personId: string, stored: Promise<void>): void {
    stored.catch(() => undefined); // awaited by write(); a batch failing before it must not leave it unhandled
    const held = this.redirectsHeld.get(personId);
    this.redirectsHeld.set(personId, held ? Promise.all([held, stored]).then(() => undefined) : stored);
  }

  /** Writes every key the batch changed, with its final value; resolves with the number of writes. */
  async write(concurrency: number): Promise<number> {
    const schedule = new WriteSchedule(concurrency);
    for (const { key, ...write } of this.plannedWrites()) schedule.add(key, write);
    return schedule.run();
  }

  /**
   * The writes write() makes, each with the keys it must come after (so a crash leaves any set of them
   * that holds, with each write, those it comes after) and what else it waits for.
   */
  plannedWrites(): (ScheduledWrite & { key: string })[] {
    const writes: (ScheduledWrite & { key: string })[] = [];
    for (const [key, slot] of this.slots) {
      if (!slot.planned) continue;
      if (slot.kind === 'person') {
        const record = slot.planned;
        const redirectsNow = Boolean(record.mergedInto) && !slot.base?.value.mergedInto;
        writes.push({
          key,
          after: redirectsNow ? [personKey(record.mergedInto!)] : [],
          until: redirectsNow ? this.redirectsHeld.get(record.id) : undefined,
          write: personWrite(this.committed, record, slot.base?.revision ?? 0),
        });
      } else {
        const { person, seq } = slot.planned;
        writes.push({
          key,
          // Every person it named in the batch: a record that now skips a redirect (to the survivor)
          // must not be seen before that redirect, nor a record before the person it names.
          after: [...slot.named].map(personKey),
          write: identifierWrite(this.committed, slot.id, person, slot.base?.revision ?? 0, seq),
        });
      }
    }
    return writes;
  }

  private identifierView(slot: IdentifierSlot): Versioned<IdentifierRecord> | null {
    return slot.planned ? { value: slot.planned, revision: PLANNED_REVISION } : this.visible(slot.base);
  }

  /** A record created by an event after the one being planned is not there yet for it. */
  private visible(base: Versioned<IdentifierRecord> | null): Versioned<IdentifierRecord> | null {
    return base && base.value.seq !== undefined && base.value.seq > this.seq ? null : base;
  }

  private async identifierSlot(id: Identifier): Promise<IdentifierSlot> {
    const key = identifierKey(id);
    let slot = this.slots.get(key);
    if (!slot) {
      const base = await this.committed.getIdentifier(id);
      slot = this.slots.get(key) ?? { kind: 'identifier', id, base, named: new Set(base ? [base.value.person] : []) };
      this.slots.set(key, slot);
    }
    return slot as IdentifierSlot;
  }

  private async personSlot(personId: string): Promise<PersonSlot> {
    const key = personKey(personId);
    let slot = this.slots.get(key);
    if (!slot) {
      const base = await this.committed.getPerson(personId);
      slot = this.slots.get(key) ?? { kind: 'person', base };
      this.slots.set(key, slot);
    }
    return slot as PersonSlot;
  }
}
