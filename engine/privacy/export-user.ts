/**
 * `nudge export --user <id>`: everything nudge holds about a user as one JSON document — profile
 * (traits, counters, entries, journey markers; times as ISO-8601), journeys in Temporal, send ledger
 * records, coupon assignments, linked entries of other buckets (phone → user, frequency caps) and the
 * raw events still stored.
 */
import type { Config } from '../config';
import type { UserState } from '../state/behavior-state';
import { findUserData, holdsNothing, type KeyHolding, type UserData } from './find-user-data';
import { withPrivacyContext, type PrivacyContext } from './privacy-context';
import type { StoredEvent } from './user-events';
import type { JourneyExecution } from './user-journeys';

export interface UserExport {
  userId: string;
  exportedAt: string;
  /** False when nudge holds nothing about the user (never seen, or erased). */
  held: boolean;
  profile: ProfileExport | null;
  journeys: JourneyExecution[];
  sends: Record<string, unknown>[];
  coupons: Record<string, unknown>[];
  /** Entries of other nudge buckets linked to the user: nudge_phones (phone → user), nudge_caps, … */
  linkedEntries: KeyHolding[];
  events: StoredEvent[];
  /** Journey ids found in the send ledger or coupon assignments that may be this user's but cannot be confirmed. */
  unattributedJourneyIds: string[];
  notes: string[];
}

export interface ProfileExport {
  traits: Record<string, unknown>;
  /** Consent decisions by channel and topic. */
  consent: Record<string, Record<string, { granted: boolean; at: string; source: string }>>;
  /** The newest event time seen for the user. */
  lastEventAt: string | null;
  /** Event times kept for the rules' counters, newest first. */
  counters: Record<string, string[]>;
  entries: Record<string, { entries: number; lastEnteredAt: string; lastJourneyId: string }>;
  /** Journeys the engine believes are running, by rule. */
  journeyMarkers: Record<string, { journeyId: string; ruleVersion: number; startedAt: string; listens: string[] }>;
  /** Any other part of the stored profile, as stored, so the export never hides a field added later. */
  [field: string]: unknown;
}

export const EXPORT_NOTES = [
  'Closed journeys stay in Temporal until the namespace retention period ends, unless `nudge erase` deletes them.',
  'Messages already delivered (inboxes, phones, webhook receivers) and the providers\' own logs are outside nudge.',
];

export async function exportUser(config: Config, userId: string, env: NodeJS.ProcessEnv = process.env): Promise<UserExport> {
  return withPrivacyContext(config, env, (ctx) => exportUserData(ctx, userId));
}

export async function exportUserData(ctx: PrivacyContext, userId: string): Promise<UserExport> {
  return toExport(await findUserData(ctx, userId), new Date());
}

/** Pure: the found data as the export document. */
export function toExport(data: UserData, now: Date): UserExport {
  return {
    userId: data.userKey,
    exportedAt: now.toISOString(),
    held: !holdsNothing(data),
    profile: data.state ? profileOf(data.state) : null,
    journeys: data.journeys,
    sends: data.sends.map(({ journeyId, stepId, record }) => ({ ...record, journeyId, stepId })),
    coupons: data.coupons.map(({ journeyId, stepId, value }) => ({ ...(value && typeof value === 'object' ? value : { value }), journeyId, stepId })),
    linkedEntries: data.linked,
    events: data.events,
    unattributedJourneyIds: data.unattributed,
    notes: EXPORT_NOTES,
  };
}

export function profileOf(state: UserState): ProfileExport {
  const iso = (ms: number) => new Date(ms).toISOString();
  const { v: _v, userKey: _userKey, lastSeq: _lastSeq, clock, traits, counters, entries, journeys, consent, ...rest } = state;
  return {
    ...rest,
    traits,
    consent: Object.fromEntries(
      Object.entries(consent ?? {}).map(([channel, topics]) => [channel, Object.fromEntries(Object.entries(topics).map(([topic, c]) => [topic, { ...c, at: iso(c.at) }]))]),
    ),
    lastEventAt: clock ? iso(clock) : null,
    counters: Object.fromEntries(Object.entries(counters).map(([key, times]) => [key, times.map(iso)])),
    entries: Object.fromEntries(
      Object.entries(entries).map(([rule, e]) => [rule, { entries: e.entries, lastEnteredAt: iso(e.lastEnteredAt), lastJourneyId: e.lastWorkflowId }]),
    ),
    journeyMarkers: Object.fromEntries(
      Object.entries(journeys).map(([rule, m]) => [rule, { journeyId: m.workflowId, ruleVersion: m.ruleVersion, startedAt: iso(m.startedAt), listens: m.listens }]),
    ),
  };
}
