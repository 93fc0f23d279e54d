/**
 * Finds everything nudge holds about one user, in every store, with the keys needed to remove it.
 * Export prints it; erase removes it. Both read whole key spaces (the send ledger, coupon assignments,
 * the other nudge buckets) because those stores are keyed by journey, not by user: the cost grows with the
 * buckets, which is fine for an operator command and keeps the hot path free of per-user indexes.
 */
import type { UserState } from '../state/behavior-state';
import { stateKey } from '../state/state-store';
import { ANONYMOUS_LEDGER_PREFIX, parseLedgerKey, type AnonymousLedgerRecord, type LedgerRecord } from '../../workflows/activities/send-ledger';
import { entryRefersToUser, journeyOwnership, parseAssignmentKey, type Ownership } from './ownership';
import { allKeys, type OpenBucket, type PrivacyContext } from './privacy-context';
import { findUserEvents, type StoredEvent } from './user-events';
import { findUserJourneys, type JourneyExecution } from './user-journeys';

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
  userKey: string;
  state: UserState | null;
  journeys: JourneyExecution[];
  sends: LedgerHolding[];
  /** Other keys in the send ledger bucket that point to the user's sends (e.g. provider message id → record). */
  sendIndexes: KeyHolding[];
  coupons: (KeyHolding & { journeyId: string; stepId: string })[];
  /** Entries of the other nudge buckets linked to the user: nudge_phones (phone → user), nudge_caps (frequency caps), … */
  linked: KeyHolding[];
  events: StoredEvent[];
  /** Journey ids in KV that may be the user's but that Temporal no longer knows; left untouched. */
  unattributed: string[];
}

export async function findUserData(ctx: PrivacyContext, userKey: string): Promise<UserData> {
  const state = await loadState(ctx.users, userKey);
  const ledgerKeys = ctx.sends ? await allKeys(ctx.sends) : [];
  const couponKeys = ctx.coupons ? await allKeys(ctx.coupons) : [];

  // Journey ids that may be the user's, by the text of the keys that hold them.
  const seen = new Map<string, Ownership>();
  const ledgerCandidates = ledgerKeys.flatMap((key) => withOwnership(key, parseLedgerKey(key), userKey, seen));
  const couponCandidates = couponKeys.flatMap((key) => withOwnership(key, parseAssignmentKey(key), userKey, seen));
  const fromState = state ? [...Object.values(state.journeys).map((m) => m.workflowId), ...Object.values(state.entries).map((e) => e.lastWorkflowId)] : [];

  const { journeys, foreign } = await findUserJourneys(ctx, userKey, new Set([...fromState, ...seen.keys()]));
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

  const userJourneyIds = new Set([...confirmed, ...sends.map((s) => s.journeyId), ...coupons.map((c) => c.journeyId)]);
  // An index entry names a send by its ledger key, or by journey (e.g. provider message id → { journeyId, stepId }).
  const pointsToUser = (key: string, value: string) => {
    const parsed = decode(value);
    const journeyId = parsed && typeof parsed === 'object' ? (parsed as { journeyId?: unknown }).journeyId : undefined;
    if (typeof journeyId === 'string') return userJourneyIds.has(journeyId);
    return entryRefersToUser(key, value, userKey) || sends.some((s) => value.includes(s.key)) || [...userJourneyIds].some((id) => value.includes(id));
  };
  const indexKeys = ledgerKeys.filter((key) => !parseLedgerKey(key) && !key.startsWith(ANONYMOUS_LEDGER_PREFIX));
  const sendIndexes = ctx.sends ? await matchingEntries(ctx.sends, indexKeys, pointsToUser) : [];
  const linked: KeyHolding[] = [];
  for (const bucket of ctx.otherBuckets) linked.push(...(await matchingEntries(bucket, await allKeys(bucket), (key, value) => entryRefersToUser(key, value, userKey))));

  return {
    userKey,
    state,
    journeys,
    sends,
    sendIndexes,
    coupons,
    linked,
    events: await findUserEvents(ctx, userKey),
    unattributed: [...unattributed].sort(),
  };
}

/** True when nothing at all is held about the user. */
export function holdsNothing(data: UserData): boolean {
  return !data.state && [data.journeys, data.sends, data.sendIndexes, data.coupons, data.linked, data.events].every((list) => list.length === 0);
}

async function loadState(users: OpenBucket | null, userKey: string): Promise<UserState | null> {
  const entry = await users?.kv.get(stateKey(userKey));
  return entry?.operation === 'PUT' ? entry.json<UserState>() : null;
}

function withOwnership(key: string, parsed: { journeyId: string; stepId: string } | null, userKey: string, seen: Map<string, Ownership>) {
  if (!parsed) return [];
  const ownership = journeyOwnership(parsed.journeyId, userKey);
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
