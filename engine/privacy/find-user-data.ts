/**
 * Finds everything nudge holds about one user, in every store, with the keys needed to remove it.
 * Export prints it; erase removes it. Both read whole key spaces (the send ledger, coupon assignments,
 * the identity graph, the other nudge buckets) because those stores are keyed by journey or value, not by
 * user: the cost grows with the buckets, which is fine for an operator command and keeps the hot path
 * free of per-user indexes.
 *
 * The user is whoever the identity graph says the id given names (any identifier or person id), with
 * everyone merged into them: their data may be kept under any of their person ids, and — from before
 * the graph — under their userIds and anonymousIds. Without a graph the id given is the only key.
 */
import { identifierText } from '../events/identifier-types';
import type { UserState } from '../state/behavior-state';
import { stateKey } from '../../platform/stores/state-store';
import { ANONYMOUS_LEDGER_PREFIX, parseLedgerKey, type AnonymousLedgerRecord, type LedgerRecord } from '../../workflows/activities/send-ledger';
import { entryRefersToUser, journeyOwnership, parseAssignmentKey, type Ownership } from './ownership';
import { allKeys, type OpenBucket, type PrivacyContext } from './privacy-context';
import { findRawEvents, findUserEvents, type EventOwner, type StoredEvent } from './user-events';
import { findIdentity, identityHoldsNothing, type IdentityData } from './user-identity';
import { findUserJourneys, type FoundJourneys, type JourneyExecution } from './user-journeys';

/** A ledger record that an interrupted erase already rewrote; its anonymous copy goes to `movedTo`. */
export type ErasedLedgerRecord = AnonymousLedgerRecord & { movedTo: string };

export interface LedgerHolding {
  key: string;
  journeyId: string;
  stepId: string;
  record: LedgerRecord | ErasedLedgerRecord;
  revision: number;
}

export interface KeyHolding {
  bucket: string;
  key: string;
  value: unknown;
}

export interface UserData {
  /** The live person id the graph resolved the id given to; else the id given (the state key, as before the graph). */
  userKey: string;
  /** Every id the user's data may be kept under: userKey, the people merged into it, then userIds/anonymousIds from before the graph. */
  userKeys: string[];
  /** The user's part of the identity graph; null when the graph does not know the id (or there is none). */
  identity: IdentityData | null;
  state: UserState | null;
  /** States kept under the other keys: tombstones of people merged into the user, states from before the graph. */
  otherStates: { userKey: string; state: UserState }[];
  journeys: JourneyExecution[];
  sends: LedgerHolding[];
  /** Other keys in the send ledger bucket that point to the user's sends (e.g. provider message id → record). */
  sendIndexes: KeyHolding[];
  coupons: (KeyHolding & { journeyId: string; stepId: string })[];
  /** Entries of the other nudge buckets linked to the user: nudge_phones (phone → user), nudge_caps (frequency caps), … */
  linked: KeyHolding[];
  /** Events in the events and dead-letter streams. */
  events: StoredEvent[];
  /** Events as trackers sent them (NUDGE_RAW), before identity resolution. */
  rawEvents: StoredEvent[];
  /** Journey ids in KV that may be the user's but that Temporal no longer knows; left untouched. */
  unattributed: string[];
}

export async function findUserData(ctx: PrivacyContext, id: string): Promise<UserData> {
  const identity = await findIdentity(ctx, id);
  const userKey = identity?.lookup.personId ?? id;
  const userKeys = [...new Set([userKey, ...(identity?.personIds ?? []), ...(identity?.legacyKeys ?? [])])];
  const state = await loadState(ctx.users, userKey);
  const otherStates: UserData['otherStates'] = [];
  for (const key of userKeys.slice(1)) {
    const other = await loadState(ctx.users, key);
    if (other) otherStates.push({ userKey: key, state: other });
  }
  const ledgerKeys = ctx.sends ? await allKeys(ctx.sends) : [];
  const couponKeys = ctx.coupons ? await allKeys(ctx.coupons) : [];

  // Journey ids that may be the user's, by the text of the keys that hold them.
  const seen = new Map<string, Ownership>();
  const ledgerCandidates = ledgerKeys.flatMap((key) => withOwnership(key, parseLedgerKey(key), userKeys, seen));
  const couponCandidates = couponKeys.flatMap((key) => withOwnership(key, parseAssignmentKey(key), userKeys, seen));
  const fromState = [state, ...otherStates.map((o) => o.state)].flatMap((s) =>
    s ? [...Object.values(s.journeys).map((m) => m.workflowId), ...Object.values(s.entries).map((e) => e.lastWorkflowId)] : [],
  );

  const { journeys, foreign } = await findJourneysOfAll(ctx, userKeys, new Set([...fromState, ...seen.keys()]));
  const confirmed = new Set([...fromState, ...journeys.map((j) => j.workflowId)]);
  const unattributed = new Set<string>();
  const isUsers = (journeyId: string) => {
    if (confirmed.has(journeyId)) return true;
    if (seen.get(journeyId) === 'owned') return true;
    if (!foreign.has(journeyId)) unattributed.add(journeyId);
    return false;
  };

  const sends: LedgerHolding[] = [];
  for (const candidate of ledgerCandidates.filter((c) => isUsers(c.journeyId))) {
    const entry = await ctx.sends!.kv.get(candidate.key);
    if (entry?.operation === 'PUT') sends.push({ ...candidate, record: entry.json(), revision: entry.revision });
  }
  const coupons: UserData['coupons'] = [];
  for (const candidate of couponCandidates.filter((c) => isUsers(c.journeyId))) {
    const entry = await ctx.coupons!.kv.get(candidate.key);
    if (entry?.operation === 'PUT') coupons.push({ bucket: ctx.coupons!.name, ...candidate, value: decode(entry.string()) });
  }

  const refersToUser = (key: string, value: string) => userKeys.some((k) => entryRefersToUser(key, value, k));
  const userJourneyIds = new Set([...confirmed, ...sends.map((s) => s.journeyId), ...coupons.map((c) => c.journeyId)]);
  // An index entry names a send by its ledger key, or by journey (e.g. provider message id → { journeyId, stepId }).
  const pointsToUser = (key: string, value: string) => {
    const parsed = decode(value);
    const journeyId = parsed && typeof parsed === 'object' ? (parsed as { journeyId?: unknown }).journeyId : undefined;
    if (typeof journeyId === 'string') return userJourneyIds.has(journeyId);
    return refersToUser(key, value) || sends.some((s) => value.includes(s.key)) || [...userJourneyIds].some((id) => value.includes(id));
  };
  const indexKeys = ledgerKeys.filter((key) => !parseLedgerKey(key) && !key.startsWith(ANONYMOUS_LEDGER_PREFIX));
  const sendIndexes = ctx.sends ? await matchingEntries(ctx.sends, indexKeys, pointsToUser) : [];
  const linked: KeyHolding[] = [];
  for (const bucket of ctx.otherBuckets) linked.push(...(await matchingEntries(bucket, await allKeys(bucket), refersToUser)));
  const owner: EventOwner = { userKeys, identifiers: new Set((identity?.identifiers ?? []).map(identifierText)) };

  return {
    userKey,
    userKeys,
    identity,
    state,
    otherStates,
    journeys,
    sends,
    sendIndexes,
    coupons,
    linked,
    events: await findUserEvents(ctx, owner),
    rawEvents: await findRawEvents(ctx, owner),
    unattributed: [...unattributed].sort(),
  };
}

/** True when nothing at all is held about the user. */
export function holdsNothing(data: UserData): boolean {
  const lists = [data.otherStates, data.journeys, data.sends, data.sendIndexes, data.coupons, data.linked, data.events, data.rawEvents];
  return !data.state && identityHoldsNothing(data.identity) && lists.every((list) => list.length === 0);
}

async function loadState(users: OpenBucket | null, userKey: string): Promise<UserState | null> {
  const entry = await users?.kv.get(stateKey(userKey));
  return entry?.operation === 'PUT' ? entry.json<UserState>() : null;
}

/** A journey id's ownership by the best match among the user's keys. */
function ownershipOf(journeyId: string, userKeys: string[]): Ownership {
  const all = userKeys.map((key) => journeyOwnership(journeyId, key));
  return all.includes('owned') ? 'owned' : all.includes('ambiguous') ? 'ambiguous' : 'foreign';
}

/** The journeys Temporal confirms (UserId search attribute) as any of the user's keys'. */
async function findJourneysOfAll(ctx: PrivacyContext, userKeys: string[], candidates: Set<string>): Promise<FoundJourneys> {
  const journeys = new Map<string, JourneyExecution>();
  const foreign = new Set<string>();
  for (const key of userKeys) {
    // The person's own id is asked about every candidate, as before the graph; other ids only about those that could be theirs.
    const found = await findUserJourneys(ctx, key, [...candidates].filter((id) => key === userKeys[0] || journeyOwnership(id, key) !== 'foreign'));
    for (const journey of found.journeys) journeys.set(`${journey.workflowId}\n${journey.runId}`, journey);
    for (const id of found.foreign) foreign.add(id);
  }
  for (const journey of journeys.values()) foreign.delete(journey.workflowId);
  return { journeys: [...journeys.values()].sort((a, b) => a.startTime.localeCompare(b.startTime)), foreign };
}

function withOwnership(key: string, parsed: { journeyId: string; stepId: string } | null, userKeys: string[], seen: Map<string, Ownership>) {
  if (!parsed) return [];
  const ownership = ownershipOf(parsed.journeyId, userKeys);
  if (ownership === 'foreign') return [];
  seen.set(parsed.journeyId, ownership);
  return [{ key, ...parsed }];
}

async function matchingEntries(bucket: OpenBucket, keys: string[], matches: (key: string, value: string) => boolean): Promise<KeyHolding[]> {
  const found: KeyHolding[] = [];
  for (const key of keys) {
    const entry = await bucket.kv.get(key);
    if (entry?.operation === 'PUT' && matches(key, entry.string())) found.push({ bucket: bucket.name, key, value: decode(entry.string()) });
  }
  return found;
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
