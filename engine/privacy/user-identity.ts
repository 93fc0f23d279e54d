/**
 * The user's part of the identity graph (nudge_identity), found from any id an operator gives: the live
 * person's record, the records of people merged into it (tombstones), every identifier record naming
 * any of them, and refused links on other people's records that name them. The whole bucket is read
 * once, like the other buckets export and erase sweep: identifier records are keyed by value, and a
 * merge older than the MAX_HISTORY kept in `merges` is only found through its tombstone.
 */
import { identifierText, type Identifier } from '../events/identifier-types';
import { absorbedPeople, resolveAnyIdentifier, type PersonLookup } from '../identity/identity-lookup';
import { IdentityConflictError, KvIdentityStore, personIdOfKey, personKey, type MergeRecord, type PersonRecord, type RefusalRecord } from '../identity/identity-store';
import { allKeys, eraseEarlierRevisions, eraseKey, type OpenBucket, type PrivacyContext } from './privacy-context';

export interface IdentityData {
  lookup: PersonLookup;
  /** The live person's record; null when it is gone (an erase interrupted after deleting it). */
  person: PersonRecord | null;
  /** People merged into the person, directly or through others, with their tombstones. */
  absorbed: { personId: string; record: PersonRecord | null }[];
  /** The live id, then the ids merged into it: the states, journeys and events kept under them are the person's. */
  personIds: string[];
  /**
   * The person's userIds and anonymousIds that are not someone else's person id: states, journeys and
   * events from before the graph are kept under them.
   */
  legacyKeys: string[];
  /** Every identifier the person holds or held: on their records, and of identifier records naming them. */
  identifiers: Identifier[];
  /** Keys of the identifier records naming one of `personIds` (keys encode the values). */
  identifierKeys: string[];
  /** Other people's refused links that name the person (one of their identifiers, or them as the other person). */
  mentions: { personId: string; refusals: RefusalRecord[] }[];
}

export async function findIdentity(ctx: PrivacyContext, text: string): Promise<IdentityData | null> {
  if (!ctx.identity) return null;
  const store = new KvIdentityStore(ctx.identity.kv);
  const lookup = await resolveAnyIdentifier(store, ctx.types, text);
  if (!lookup) return null;
  const keys = await allKeys(ctx.identity);

  const mergedInto = new Map<string, string[]>();
  const refusing: { personId: string; refusals: RefusalRecord[] }[] = [];
  for (const key of keys.filter((k) => k.startsWith('p.'))) {
    const record = await readJson<PersonRecord>(ctx.identity, key);
    if (record?.mergedInto) mergedInto.set(record.mergedInto, [...(mergedInto.get(record.mergedInto) ?? []), record.id]);
    if (record?.refusals.length) refusing.push({ personId: record.id, refusals: record.refusals });
  }
  const person = (await store.getPerson(lookup.personId))?.value ?? null;
  const absorbed = await absorbedPeople(store, person ?? { v: 1, id: lookup.personId, createdAt: 0, identifiers: {}, merges: [], refusals: [] }, mergedInto);
  const personIds = [lookup.personId, ...absorbed.map((a) => a.personId)];
  const ours = new Set(personIds);

  const identifiers = new Map<string, Identifier>();
  const add = (id: Identifier) => identifiers.set(identifierText(id), id);
  for (const record of [person, ...absorbed.map((a) => a.record)]) {
    for (const [type, values] of Object.entries(record?.identifiers ?? {})) for (const value of values) add({ type, value });
  }
  const identifierKeys: string[] = [];
  for (const key of keys.filter((k) => k.startsWith('i.'))) {
    const pointer = await readJson<{ person: string }>(ctx.identity, key);
    if (!pointer || !ours.has(pointer.person)) continue;
    identifierKeys.push(key);
    add(identifierOfKey(key));
  }

  const people = new Set(keys.filter((k) => k.startsWith('p.')).map(personIdOfKey));
  const legacyKeys = [...identifiers.values()]
    .filter((id) => (id.type === 'userId' || id.type === 'anonymousId') && !ours.has(id.value) && !people.has(id.value))
    .map((id) => id.value);
  const data: IdentityData = { lookup, person, absorbed, personIds, legacyKeys, identifiers: [...identifiers.values()], identifierKeys, mentions: [] };
  const mentions = mentionTest(data);
  data.mentions = refusing
    .filter((r) => !ours.has(r.personId))
    .map((r) => ({ personId: r.personId, refusals: r.refusals.filter(mentions) }))
    .filter((r) => r.refusals.length > 0);
  return data;
}

/** True when nothing of the person is left in the graph but the lookup itself. */
export const identityHoldsNothing = (data: IdentityData | null) =>
  !data || (!data.person && data.absorbed.every((a) => !a.record) && data.identifierKeys.length === 0 && data.mentions.length === 0);

/**
 * Removes the person from the graph: other people's refused links that name them are rewritten without
 * them (and their earlier revisions purged); then identifier records, the people merged in, and the live
 * person last, so a run interrupted here is completed by running it again with the person id.
 */
export async function eraseIdentity(ctx: PrivacyContext, data: IdentityData): Promise<{ recordsDeleted: number; recordsRedacted: number }> {
  const bucket = ctx.identity!;
  const store = new KvIdentityStore(bucket.kv);
  const mentions = mentionTest(data);
  let recordsRedacted = 0;
  for (const { personId } of data.mentions) if (await redact(ctx, bucket, store, personId, mentions)) recordsRedacted++;
  // Purged even without a record: a delete marker's subject is the key, which encodes the id.
  const people = [...data.absorbed.map((a) => a.personId).reverse(), data.lookup.personId];
  for (const key of [...data.identifierKeys, ...people.map(personKey)]) await eraseKey(ctx, bucket, key);
  const recordsDeleted = data.identifierKeys.length + data.absorbed.filter((a) => a.record).length + (data.person ? 1 : 0);
  return { recordsDeleted, recordsRedacted };
}

export interface IdentityExport {
  personId: string;
  /** The identifier the person was found by (its normalised value); null when by person id. */
  lookedUpBy: Identifier | null;
  /** The person id given, when it was merged into `personId`. */
  mergedFrom: string | null;
  firstSeenAt: string | null;
  /** type → values: every identifier the person holds or held. */
  identifiers: Record<string, string[]>;
  /** The ids of the people merged into this one (their records are tombstones). */
  mergedPeople: string[];
  merges: MergeRecord[];
  /** Links refused; one that would have merged them with another person does not say who (that is the other person's). */
  refusals: Omit<RefusalRecord, 'otherPerson'>[];
  /** Links of the person's identifiers refused on other people's records (who they are is theirs). */
  refusalsOnOtherPeople: { at: string; identifier: Identifier; reason: RefusalRecord['reason'] }[];
}

/** Pure: the graph's view of the person for `nudge export`; merges and refusals of every record, oldest first. */
export function identityExport(data: IdentityData): IdentityExport {
  const records = [data.person, ...data.absorbed.map((a) => a.record)].filter((r): r is PersonRecord => r !== null);
  const byTime = <T extends { at: string }>(items: T[]) => [...new Map(items.map((item) => [JSON.stringify(item), item])).values()].sort((a, b) => a.at.localeCompare(b.at));
  const identifiers: Record<string, string[]> = {};
  for (const { type, value } of data.identifiers) (identifiers[type] ??= []).push(value);
  return {
    personId: data.lookup.personId,
    lookedUpBy: data.lookup.value !== undefined ? { type: data.lookup.via, value: data.lookup.value } : null,
    mergedFrom: data.lookup.mergedFrom ?? null,
    firstSeenAt: records.length ? new Date(Math.min(...records.map((r) => r.createdAt))).toISOString() : null,
    identifiers,
    mergedPeople: data.absorbed.map((a) => a.personId),
    merges: byTime(records.flatMap((r) => r.merges)),
    refusals: byTime(records.flatMap((r) => r.refusals).map(withoutOtherPerson)),
    refusalsOnOtherPeople: byTime(data.mentions.flatMap((m) => m.refusals.map(({ at, identifier, reason }) => ({ at, identifier, reason })))),
  };
}

/** A merge refusal's detail names the other person and their identifiers (identity-resolver.ts): both are left out. */
function withoutOtherPerson({ otherPerson, ...refusal }: RefusalRecord): Omit<RefusalRecord, 'otherPerson'> {
  return otherPerson === undefined ? refusal : { ...refusal, detail: `linking it would have merged this person with another one (${refusal.reason})` };
}

/** Exact matches only (an id or identifier field), so a refusal about someone else is never touched. */
function mentionTest(data: IdentityData): (refusal: RefusalRecord) => boolean {
  const ids = new Set(data.personIds);
  const held = new Set(data.identifiers.map(identifierText));
  return (refusal) => (refusal.otherPerson !== undefined && ids.has(refusal.otherPerson)) || held.has(identifierText(refusal.identifier));
}

/** Rewrites another person's record without the refusals that name the user; false when none was left. */
async function redact(ctx: PrivacyContext, bucket: OpenBucket, store: KvIdentityStore, personId: string, mentions: (r: RefusalRecord) => boolean): Promise<boolean> {
  for (;;) {
    const current = await store.getPerson(personId);
    const refusals = current?.value.refusals.filter((r) => !mentions(r));
    if (!current || !refusals || refusals.length === current.value.refusals.length) return false;
    try {
      await store.putPerson({ ...current.value, refusals }, current.revision);
    } catch (error) {
      if (error instanceof IdentityConflictError) continue; // the resolver wrote it meanwhile: read again
      throw error;
    }
    await eraseEarlierRevisions(ctx, bucket, personKey(personId));
    return true;
  }
}

/** `i.<type>.<base64url(value)>`: type names hold no ".". */
function identifierOfKey(key: string): Identifier {
  const dot = key.indexOf('.', 2);
  return { type: key.slice(2, dot), value: Buffer.from(key.slice(dot + 1), 'base64url').toString('utf8') };
}

async function readJson<T>(bucket: OpenBucket, key: string): Promise<T | null> {
  const entry = await bucket.kv.get(key);
  if (entry?.operation !== 'PUT') return null;
  try {
    return entry.json<T>();
  } catch {
    return null; // not written by nudge
  }
}
