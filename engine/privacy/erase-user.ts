/**
 * `nudge erase --user <id>`: removes everything nudge holds about a user — the person the identity graph
 * says the id names, with everyone merged into them — and keeps only anonymous send counts. Running
 * journeys are stopped first, so nothing is sent after the erase; then the events, the profiles, the
 * send ledger's personal fields, coupon assignments and linked entries go, then the journeys' Temporal
 * executions (histories hold the traits), and the identity graph's records last: they are how a rerun
 * finds the rest. Every step is idempotent: a second run finds nothing and says so; a run that was
 * interrupted is completed by the next one (with the person id, if it stopped inside the graph).
 */
import { randomUUID } from 'node:crypto';
import { ANONYMOUS_LEDGER_PREFIX, anonymousRecordOf, type LedgerRecord } from '../../workflows/activities/send-ledger';
import type { Config } from '../../platform/config';
import { stateKey } from '../../platform/stores/state-store';
import { findUserData, holdsNothing, type ErasedLedgerRecord, type LedgerHolding } from './find-user-data';
import { ruleIdOfJourney } from './ownership';
import { eraseKey, withPrivacyContext, type OpenBucket, type PrivacyContext } from './privacy-context';
import { deleteEvents } from './user-events';
import { eraseIdentity } from './user-identity';
import { requestDeletion, statusOf, terminateJourney, waitUntilDeleted, type JourneyExecution } from './user-journeys';

/** How long a running journey may take to disappear after its deletion was requested (usually < 1 s). */
const STOP_TIMEOUT_MS = 10_000;
/** How long to wait for closed journeys to be deleted; Temporal deletes a recently closed one after about 30-40 s. */
const DELETE_TIMEOUT_MS = 60_000;

export interface EraseSummary {
  /** The id given. */
  userId: string;
  /** The person the identity graph resolved it to (null when the graph does not know it), and how. */
  person: { personId: string; via: string; value?: string; mergedFrom?: string } | null;
  /** True when nothing was held: the user was never seen, or was erased before. */
  nothingFound: boolean;
  journeysTerminated: string[];
  journeysDeleted: string[];
  /** Executions that could not be deleted, with why; Temporal's retention period removes them. */
  journeysKept: { workflowId: string; reason: string }[];
  profileDeleted: boolean;
  /** Other profiles deleted, by id: tombstones of people merged into the user, states from before the graph. */
  otherProfilesDeleted: string[];
  /** Events deleted from the events and dead-letter streams. */
  eventsDeleted: number;
  /** Events deleted from the raw stream (as trackers sent them, before identity resolution). */
  rawEventsDeleted: number;
  /** Identity graph records deleted: identifier records, the person and those merged into them. */
  identityRecordsDeleted: number;
  /** Other people's records rewritten without the refused links that named the user. */
  identityRecordsRedacted: number;
  /** Send ledger records rewritten as anonymous records (status, channel, rule, step, date). */
  sendsAnonymized: number;
  sendIndexEntriesDeleted: number;
  couponAssignmentsDeleted: number;
  /** Deleted entries per other bucket: nudge_phones (phone → user), nudge_caps (frequency caps), … */
  linkedEntriesDeleted: Record<string, number>;
  /** Journey ids that may be the user's but cannot be confirmed; left untouched. */
  unattributedJourneyIds: string[];
}

export async function eraseUser(config: Config, userId: string, env: NodeJS.ProcessEnv = process.env): Promise<EraseSummary> {
  return withPrivacyContext(config, env, (ctx) => eraseUserData(ctx, userId));
}

/** A summary of an erase that removed nothing (yet). */
export function emptyEraseSummary(userId: string): EraseSummary {
  return {
    userId,
    person: null,
    nothingFound: true,
    journeysTerminated: [],
    journeysDeleted: [],
    journeysKept: [],
    profileDeleted: false,
    otherProfilesDeleted: [],
    eventsDeleted: 0,
    rawEventsDeleted: 0,
    identityRecordsDeleted: 0,
    identityRecordsRedacted: 0,
    sendsAnonymized: 0,
    sendIndexEntriesDeleted: 0,
    couponAssignmentsDeleted: 0,
    linkedEntriesDeleted: {},
    unattributedJourneyIds: [],
  };
}

export async function eraseUserData(ctx: PrivacyContext, userId: string): Promise<EraseSummary> {
  const data = await findUserData(ctx, userId);
  const summary: EraseSummary = {
    ...emptyEraseSummary(userId),
    person: data.identity?.lookup ?? null,
    nothingFound: holdsNothing(data),
    unattributedJourneyIds: data.unattributed,
  };

  // Stop sends first: a journey left running would re-send a step whose ledger record is gone.
  // Deleting a running execution makes Temporal terminate it at once; if deletion is refused (or slow),
  // the journey is terminated with ERASE_TERMINATE_REASON instead.
  const running = data.journeys.filter((j) => j.status === 'RUNNING');
  const refusals = new Map<JourneyExecution, string>();
  for (const journey of running) {
    const refusal = await requestDeletion(ctx, journey);
    if (refusal) refusals.set(journey, refusal);
  }
  await waitUntilDeleted(ctx, running.filter((j) => !refusals.has(j)), STOP_TIMEOUT_MS);
  for (const journey of running) {
    if ((await statusOf(ctx, journey)) === 'RUNNING') await terminateJourney(ctx, journey);
    summary.journeysTerminated.push(journey.workflowId);
  }
  // Events before the profile and the graph, so an unconsumed event cannot rebuild them afterwards.
  summary.rawEventsDeleted = await deleteEvents(ctx, data.rawEvents);
  summary.eventsDeleted = await deleteEvents(ctx, data.events);
  if (data.state && ctx.users) {
    await eraseKey(ctx, ctx.users, stateKey(data.userKey));
    summary.profileDeleted = true;
  }
  for (const { userKey } of data.otherStates) {
    await eraseKey(ctx, ctx.users!, stateKey(userKey));
    summary.otherProfilesDeleted.push(userKey);
  }
  for (const holding of data.sends) {
    await anonymizeSend(ctx, ctx.sends!, holding);
    summary.sendsAnonymized++;
  }
  for (const entry of data.sendIndexes) {
    await eraseKey(ctx, ctx.sends!, entry.key);
    summary.sendIndexEntriesDeleted++;
  }
  for (const entry of data.coupons) {
    await eraseKey(ctx, ctx.coupons!, entry.key);
    summary.couponAssignmentsDeleted++;
  }
  for (const entry of data.linked) {
    const bucket = ctx.otherBuckets.find((b) => b.name === entry.bucket)!;
    await eraseKey(ctx, bucket, entry.key);
    summary.linkedEntriesDeleted[entry.bucket] = (summary.linkedEntriesDeleted[entry.bucket] ?? 0) + 1;
  }
  // Closed journeys last: their histories hold the traits the journeys started with.
  for (const journey of data.journeys.filter((j) => !running.includes(j))) {
    const refusal = await requestDeletion(ctx, journey);
    if (refusal) refusals.set(journey, refusal);
  }
  const requested = data.journeys.filter((j) => !refusals.has(j));
  const pending = await waitUntilDeleted(ctx, requested, DELETE_TIMEOUT_MS);
  summary.journeysDeleted = requested.filter((j) => !pending.includes(j)).map((j) => j.workflowId);
  summary.journeysKept = [
    ...[...refusals].map(([j, reason]) => ({ workflowId: j.workflowId, reason })),
    ...pending.map((j) => ({ workflowId: j.workflowId, reason: `deletion requested; Temporal finishes it in the background (after ${DELETE_TIMEOUT_MS / 1000} s it had not yet)` })),
  ];
  if (data.identity) {
    const erased = await eraseIdentity(ctx, data.identity);
    summary.identityRecordsDeleted = erased.recordsDeleted;
    summary.identityRecordsRedacted = erased.recordsRedacted;
  }
  return summary;
}

/**
 * Rewrites the record in place as anonymous (remembering where its copy goes), writes the copy under
 * a key without the journey id, then removes the original. A crash between the steps is completed by
 * the next run from the in-place record, so a send is never counted twice.
 */
async function anonymizeSend(ctx: PrivacyContext, sends: OpenBucket, holding: LedgerHolding): Promise<void> {
  let { record, revision } = holding;
  while (!isErased(record)) {
    const erased: ErasedLedgerRecord = { ...anonymousRecordOf(record, ruleIdOfJourney(holding.journeyId)), movedTo: `${ANONYMOUS_LEDGER_PREFIX}${randomUUID()}` };
    try {
      await sends.kv.update(holding.key, JSON.stringify(erased), revision);
      record = erased;
    } catch (error) {
      if (!/wrong last sequence/i.test((error as Error).message)) throw error;
      const current = await sends.kv.get(holding.key); // settled meanwhile by an activity still in flight
      if (current?.operation !== 'PUT') return;
      ({ revision } = current);
      record = current.json();
    }
  }
  const { movedTo, ...anonymous } = record;
  await sends.kv.put(movedTo, JSON.stringify(anonymous));
  await eraseKey(ctx, sends, holding.key);
}

function isErased(record: LedgerRecord | ErasedLedgerRecord): record is ErasedLedgerRecord {
  return 'movedTo' in record;
}

/** The summary as lines for the terminal. */
export function formatEraseSummary(summary: EraseSummary): string[] {
  const { userId } = summary;
  if (summary.nothingFound && summary.unattributedJourneyIds.length === 0) {
    return [`nothing left to erase for user "${userId}": no identity, profile, journeys, sends, coupons, linked entries or events are held`];
  }
  const lines = [`erased user "${userId}":`];
  const item = (label: string, value: string | number) => lines.push(`  ${label.padEnd(26)} ${value}`);
  const { person } = summary;
  if (person) {
    const how = person.mergedFrom ? `person ${person.mergedFrom} was merged into it` : person.value !== undefined ? `found by ${person.via} ${person.value}` : 'the person id';
    item('person', `${person.personId} (${how})`);
  }
  const redacted = summary.identityRecordsRedacted ? `; ${summary.identityRecordsRedacted} other people's records rewritten without refused links naming them` : '';
  item('identity records deleted', `${summary.identityRecordsDeleted} (the person, people merged into them, identifiers)${redacted}`);
  item('journeys terminated', listOrNone(summary.journeysTerminated));
  item('journeys deleted', `${summary.journeysDeleted.length} (Temporal histories, inputs and search attributes)`);
  item('profile', summary.profileDeleted ? 'deleted (traits, counters, entries, journey markers)' : 'none held');
  if (summary.otherProfilesDeleted.length) item('other profiles deleted', `${summary.otherProfilesDeleted.join(', ')} (merged into them, or from before the identity graph)`);
  item('events deleted', `${summary.eventsDeleted} (events and dead-letter streams)`);
  item('raw events deleted', `${summary.rawEventsDeleted} (as trackers sent them, before identity resolution)`);
  item('sends anonymized', `${summary.sendsAnonymized} (kept: status, channel, rule, step, date; dropped: recipient, content, journey)`);
  item('send index entries deleted', summary.sendIndexEntriesDeleted);
  item('coupon assignments deleted', summary.couponAssignmentsDeleted);
  const linked = Object.entries(summary.linkedEntriesDeleted).map(([bucket, n]) => `${n} in ${bucket}`);
  item('linked entries deleted', listOrNone(linked));
  for (const kept of summary.journeysKept) lines.push(`  kept in Temporal: ${kept.workflowId}: ${kept.reason}`);
  for (const id of summary.unattributedJourneyIds) lines.push(`  not touched: ${id} may belong to this user, but Temporal no longer knows whose it is (user ids containing "/")`);
  lines.push(
    'Closed journey histories that were not deleted stay in Temporal until the namespace retention period ends.',
    'Not reachable from nudge: messages already delivered, provider logs (SMTP relay, Twilio), webhook receivers, backups.',
  );
  return lines;
}

function listOrNone(items: string[]): string {
  return items.length ? items.join(', ') : 'none';
}
