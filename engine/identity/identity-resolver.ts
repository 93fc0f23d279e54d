/**
 * Resolves an event to its person and keeps the identity graph up to date. Two phases, so the caller
 * can publish the merge hand-offs between them:
 *   plan(event)    reads the graph and decides: the person the event belongs to, identifiers to link,
 *                  people to merge (and which survives), links to refuse — no writes;
 *   commit(plan)   writes it: surviving people first, then the merged-away ones' redirects, then new
 *                  identifier records. Every write is compare-and-set (IdentityConflictError).
 *   warm(events)   optional: reads what planning these events will read, all at once, so a read-through
 *                  cache answers plan() without a round trip per identifier.
 *   over(store)    the same rules against another view: the resolver loop plans and commits a batch
 *                  into its in-memory BatchGraph, which writes the graph behind (batch-graph.ts); the
 *                  simulator commits each plan straight into its memory store.
 *
 * Rules: the event belongs to the person of its strongest identifier that is already known (a new
 * person when none is). Every other identifier is linked to that person: an unknown one is added unless
 * the person already holds a different value of a unique type or the type's limit; one that belongs to
 * another person merges the two unless the merged person would hold two values of a unique type or
 * exceed a limit. A refused link is recorded on both people. The surviving person of a merge is the one
 * whose strongest identifier is stronger (then the older one): its id never changes.
 */
import type { EventEnvelope } from '../events/envelope';
import { identifierText, type Identifier, type IdentifierTypes } from '../events/identifier-types';
import { identifiersOf } from '../events/identifiers-of-event';
import { newPersonName, warmGraph } from './graph-warm-up';
import { copyPerson, livePerson, MAX_HISTORY, type IdentityGraphStore, type MergeRecord, type PersonRecord, type RefusalRecord } from './identity-store';

export interface ResolutionPlan {
  messageId: string;
  /** The live person the event belongs to once the plan is committed. */
  person: string;
  created: boolean;
  linked: Identifier[];
  /** People merged away by this event, in the order they were decided. */
  merges: MergeRecord[];
  refusals: RefusalRecord[];
  /** Identifier values that could not be used (e.g. an invalid phone number). */
  rejected: { type: string; reason: string }[];
  writes: { people: { record: PersonRecord; revision: number }[]; identifiers: { id: Identifier; person: string; revision: number }[] };
}

/** Not retryable: no identifier of the event can name a person (all were empty or invalid). */
export class UnidentifiableEventError extends Error {
  constructor(reason: string) {
    super(`no usable identifier: ${reason}`);
    this.name = 'UnidentifiableEventError';
  }
}

interface Working {
  /** The record as read (shared with the store's view: not to be changed) until `owned`, then a copy of it. */
  record: PersonRecord;
  revision: number;
  changed: boolean;
  owned: boolean;
}

/** The person `id` is now within a plan: itself, or the one it was merged into (`people` holds the chain). */
function liveIn(people: Map<string, Working>, id: string): Working {
  let current = people.get(id)!;
  while (current.record.mergedInto) current = people.get(current.record.mergedInto)!;
  return current;
}

/** Whether `list` records the merge of m.from into m.into already. */
function recorded(list: MergeRecord[], m: MergeRecord): boolean {
  return list.some((k) => k.from === m.from && k.into === m.into);
}

/** The person's record, copied on the first change: most events change nobody, and a copy per person per event added up. */
function own(working: Working): PersonRecord {
  if (!working.owned) {
    working.record = copyPerson(working.record);
    working.owned = true;
  }
  return working.record;
}

export class IdentityResolver {
  constructor(private readonly store: IdentityGraphStore, private readonly types: IdentifierTypes) {}

  /** The same rules planning against another view of the graph (a batch's, see batch-graph.ts). */
  over(store: IdentityGraphStore): IdentityResolver {
    return new IdentityResolver(store, this.types);
  }

  /**
   * Reads at once what plan() will read for these events (graph-warm-up.ts). Only useful in front of a
   * read-through cache (CachedIdentityStore), which then answers the plans from memory; at most
   * `concurrency` single reads are in flight when the store cannot read many at once.
   */
  async warm(events: readonly EventEnvelope[], concurrency = 64): Promise<void> {
    await warmGraph(this.store, this.types, events, concurrency);
  }

  async plan(event: EventEnvelope, now: number): Promise<ResolutionPlan> {
    // Only merges and refusals record the time; most events have neither (toISOString costs a microsecond).
    // No named closures here: tsx (esbuild keepNames) gives each one its name with defineProperty, per call.
    let atText: string | undefined;
    const previousIdType = event.type === 'alias' && (await this.store.getIdentifier({ type: 'userId', value: event.previousId.trim() })) ? 'userId' : 'anonymousId';
    const { identifiers, rejected } = identifiersOf(event, this.types, previousIdType);
    if (identifiers.length === 0) throw new UnidentifiableEventError(rejected.map((r) => r.reason).join('; ') || 'the event carries no identifier');
    const found = await Promise.all(
      identifiers.map(async (id) => {
        const record = await this.store.getIdentifier(id);
        const person = record ? await livePerson(this.store, record.value.person) : null;
        return { id, record, person };
      }),
    );
    const plan: ResolutionPlan = { messageId: event.messageId, person: '', created: false, linked: [], merges: [], refusals: [], rejected, writes: { people: [], identifiers: [] } };
    const people = new Map<string, Working>();
    for (const f of found) if (f.person && !people.has(f.person.value.id)) people.set(f.person.value.id, { record: f.person.value, revision: f.person.revision, changed: false, owned: false });

    const known = found.find((f) => f.person);
    let target: Working;
    // The strongest identifier decides: when it is new and cannot join the person a weaker one knows
    // (a second member id on a shared device), it starts a person of its own.
    const joinable = known && (known === found[0] || !this.refuseAdding(people.get(known.person!.value.id)!.record, identifiers[0]!));
    if (known && joinable) target = people.get(known.person!.value.id)!;
    else {
      target = await this.newPerson(identifiers, now);
      plan.created = target.revision === 0;
      people.set(target.record.id, target);
    }

    for (const f of found) {
      target = liveIn(people, target.record.id);
      const owner = f.person ? liveIn(people, f.person.value.id) : null;
      if (owner === target) {
        if (f.record && f.record.value.person !== target.record.id) plan.writes.identifiers.push({ id: f.id, person: target.record.id, revision: f.record.revision });
        continue;
      }
      if (!owner) {
        const holds = target.record.identifiers[f.id.type]?.includes(f.id.value);
        const refusal = holds ? null : this.refuseAdding(target.record, f.id);
        if (refusal) {
          this.refuse(plan, target, { at: (atText ??= new Date(now).toISOString()), identifier: f.id, messageId: event.messageId, ...refusal });
          continue;
        }
        if (!holds) {
          (own(target).identifiers[f.id.type] ??= []).push(f.id.value);
          target.changed = true;
          plan.linked.push(f.id);
        }
        plan.writes.identifiers.push({ id: f.id, person: target.record.id, revision: f.record?.revision ?? 0 });
        continue;
      }
      const refusal = this.refuseMerging(target.record, owner.record);
      if (refusal) {
        this.refuse(plan, target, { at: (atText ??= new Date(now).toISOString()), identifier: f.id, messageId: event.messageId, otherPerson: owner.record.id, ...refusal });
        this.refuse(null, owner, { at: (atText ??= new Date(now).toISOString()), identifier: f.id, messageId: event.messageId, otherPerson: target.record.id, ...refusal });
        continue;
      }
      const [survivor, merged] = this.survivorOf(target, owner);
      const merge: MergeRecord = { at: (atText ??= new Date(now).toISOString()), from: merged.record.id, into: survivor.record.id, via: f.id, messageId: event.messageId };
      const survivorRecord = own(survivor);
      for (const [type, values] of Object.entries(merged.record.identifiers)) {
        const into = (survivorRecord.identifiers[type] ??= []);
        for (const value of values) if (!into.includes(value)) into.push(value);
      }
      // A merge planned again after a commit that stopped half-way is recorded once.
      survivor.record.merges = [...survivor.record.merges, ...[...merged.record.merges, merge].filter((m) => !recorded(survivor.record.merges, m))].slice(-MAX_HISTORY);
      survivor.record.refusals = [...survivor.record.refusals, ...merged.record.refusals].slice(-MAX_HISTORY);
      survivor.changed = true;
      merged.record = { ...merged.record, mergedInto: survivor.record.id, merges: [...merged.record.merges, merge].slice(-MAX_HISTORY) };
      merged.changed = true;
      plan.merges.push(merge);
    }

    target = liveIn(people, target.record.id);
    plan.person = target.record.id;
    const changed = [...people.values()].filter((w) => w.changed);
    // Surviving people first: a crash before the redirects are written leaves the merged-away people
    // live with the same identifiers listed twice, and the event's redelivery plans the same merge again.
    changed.sort((a, b) => Number(Boolean(a.record.mergedInto)) - Number(Boolean(b.record.mergedInto)));
    plan.writes.people = changed.map((w) => ({ record: w.record, revision: w.revision }));
    return plan;
  }

  async commit(plan: ResolutionPlan): Promise<void> {
    // One at a time, survivor before redirect: see the crash argument in ARCHITECTURE.md.
    for (const { record, revision } of plan.writes.people) await this.store.putPerson(record, revision);
    // Identifier records only point at people written above and do not depend on each other: any
    // subset of them surviving a crash is completed by the replay, so they go out together. All are
    // settled before a failure is reported, so a re-plan never races a write still in flight.
    const results = await Promise.allSettled(plan.writes.identifiers.map(({ id, person, revision }) => this.store.putIdentifier(id, person, revision)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** A new person, named after the event's userId (else anonymousId) so a person without links keeps the id it always had. */
  private async newPerson(identifiers: Identifier[], now: number): Promise<Working> {
    const strongest = identifiers[0]!;
    const base = newPersonName(identifiers);
    for (let n = 1; n < 1000; n++) {
      const id = n === 1 ? base : `${base}#${n}`;
      const existing = await this.store.getPerson(id);
      if (!existing) return { record: { v: 1, id, createdAt: now, identifiers: {}, merges: [], refusals: [] }, revision: 0, changed: true, owned: true };
      // Written by a resolver that crashed before it wrote the identifier records: carry on with it, or
      // with the person that absorbed it (a batch writes a person created and merged away in the same
      // batch as its tombstone at once). No live person holds a value without its record otherwise.
      const live = existing.value.mergedInto ? await livePerson(this.store, id) : existing;
      if (live && !live.value.mergedInto && live.value.identifiers[strongest.type]?.includes(strongest.value)) {
        return { record: live.value, revision: live.revision, changed: false, owned: false };
      }
    }
    throw new Error(`no free person id for "${base}"`);
  }

  private refuseAdding(person: PersonRecord, id: Identifier): Pick<RefusalRecord, 'reason' | 'detail'> | null {
    const type = this.types.get(id.type)!;
    const held = person.identifiers[id.type] ?? [];
    if (held.includes(id.value)) return null; // already theirs (a commit that stopped before the identifier record)
    if (type.unique && held.length > 0) return { reason: 'unique', detail: `${person.id} already has ${id.type} "${held[0]}"; ${id.type} is unique per person` };
    if (held.length >= type.limit) return { reason: 'limit', detail: `${person.id} already holds ${held.length} ${id.type} values (the limit)` };
    return null;
  }

  private refuseMerging(a: PersonRecord, b: PersonRecord): Pick<RefusalRecord, 'reason' | 'detail'> | null {
    for (const type of this.types.ordered) {
      const mine = a.identifiers[type.name] ?? [];
      const theirs = b.identifiers[type.name] ?? [];
      const union = new Set([...mine, ...theirs]);
      if (type.unique && union.size > 1) return { reason: 'unique', detail: `${a.id} has ${type.name} "${mine[0]}" and ${b.id} has ${type.name} "${theirs[0]}"; ${type.name} is unique per person` };
      if (union.size > type.limit) return { reason: 'limit', detail: `together ${a.id} and ${b.id} would hold ${union.size} ${type.name} values (limit ${type.limit})` };
    }
    return null;
  }

  /** Records a refused link on the person; `plan` (the event's person only) also reports it. */
  private refuse(plan: ResolutionPlan | null, person: Working, refusal: RefusalRecord) {
    const same = (r: RefusalRecord) => r.reason === refusal.reason && r.otherPerson === refusal.otherPerson && identifierText(r.identifier) === identifierText(refusal.identifier);
    if (plan && !plan.refusals.some(same)) plan.refusals.push(refusal);
    if (person.record.refusals.some(same)) return; // recorded before: a shared device would otherwise write on every event
    own(person).refusals = [...person.record.refusals, refusal].slice(-MAX_HISTORY);
    person.changed = true;
  }

  /** [survivor, merged away]: the stronger strongest identifier wins, then the older person, then the smaller id. */
  private survivorOf(a: Working, b: Working): [Working, Working] {
    const strength = (p: PersonRecord) => Math.min(...this.types.ordered.filter((t) => p.identifiers[t.name]?.length).map((t) => t.priority), Infinity);
    const order = strength(a.record) - strength(b.record) || a.record.createdAt - b.record.createdAt || (a.record.id < b.record.id ? -1 : 1);
    return order <= 0 ? [a, b] : [b, a];
  }
}
