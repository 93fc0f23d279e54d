/**
 * `nudge export --user <id>`: everything nudge holds about a user as one JSON document — their identity
 * (identifiers, merges, refused links), profile (traits with the time each was set, counters, sessions,
 * entries, journey markers; times as ISO-8601, and the behavior tags computed from it now), journeys in
 * Temporal, send ledger records, coupon assignments, linked entries of other buckets (phone → user,
 * frequency caps) and the events still stored. The id may be any identifier or person id.
 */
import { loadTags } from '../../rules/load-tags';
import { pathsOf, type Config } from '../../platform/config';
import { NO_TAGS, TagSet, type TagValues } from '../match/tags';
import { ScoreSet } from '../match/model-scores';
import { defaultModelPaths, loadTrainedModels } from '../../rules/load-models';
import type { UserState } from '../state/behavior-state';
import { findUserData, holdsNothing, type KeyHolding, type UserData } from './find-user-data';
import { withPrivacyContext, type PrivacyContext } from './privacy-context';
import type { StoredEvent } from './user-events';
import { identityExport, type IdentityExport } from './user-identity';
import type { JourneyExecution } from './user-journeys';

export interface UserExport {
  /** The person id the identity graph resolved the id given to; else the id given. */
  userId: string;
  exportedAt: string;
  /** False when nudge holds nothing about the user (never seen, or erased). */
  held: boolean;
  /** What the identity graph holds; null when it does not know the id (or there is no graph). */
  identity: IdentityExport | null;
  profile: ProfileExport | null;
  /** Profiles kept under the user's other ids: people merged into them (tombstones), states from before the graph. */
  otherProfiles: Record<string, ProfileExport>;
  journeys: JourneyExecution[];
  sends: Record<string, unknown>[];
  coupons: Record<string, unknown>[];
  /** Entries of other nudge buckets linked to the user: nudge_phones (phone → user), nudge_caps, … */
  linkedEntries: KeyHolding[];
  /** Events in the events and dead-letter streams. */
  events: StoredEvent[];
  /** Events as trackers sent them, before identity resolution (NUDGE_RAW). */
  rawEvents: StoredEvent[];
  /** Journey ids found in the send ledger or coupon assignments that may be this user's but cannot be confirmed. */
  unattributedJourneyIds: string[];
  notes: string[];
}

export interface ProfileExport {
  traits: Record<string, unknown>;
  /** When each trait was last set (the identify or group event's time). */
  traitsUpdatedAt: Record<string, string>;
  /** The behavior tags computed from the profile at export time (absent when no tag set was given). */
  tags?: TagValues;
  /** Each trained model's score of the person at export time, by model id (absent when no model is trained). */
  scores?: Record<string, number>;
  /** Consent decisions by channel and topic. */
  consent: Record<string, Record<string, { granted: boolean; at: string; source: string }>>;
  /** The newest event time seen for the user. */
  lastEventAt: string | null;
  /** Event times kept for the rules' and tags' counters, newest first. */
  counters: Record<string, string[]>;
  /** Current sessions of `distinct` tags: when each began, its last event and the distinct values seen. */
  sessions?: Record<string, { startedAt: string; lastAt: string; values: string[] }>;
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
  const tags = new TagSet(loadTags(pathsOf(config.NUDGE_TAGS_DIR)).map((t) => t.tag));
  const scores = new ScoreSet(loadTrainedModels(defaultModelPaths(pathsOf(config.NUDGE_RULES_DIR)), process.cwd(), new Set(tags.names)), tags);
  return withPrivacyContext(config, env, (ctx) => exportUserData(ctx, userId, tags, scores));
}

export async function exportUserData(ctx: PrivacyContext, userId: string, tags: TagSet = NO_TAGS, scores: ScoreSet = new ScoreSet()): Promise<UserExport> {
  const data = await findUserData(ctx, userId);
  const now = new Date();
  const at = data.state ? Math.max(now.getTime(), data.state.clock) : 0;
  const values = data.state ? await tags.compute(data.state, at) : undefined;
  const scored = data.state && scores.ids.length ? scores.scoresAt(data.state, at) : undefined;
  return toExport(data, now, values, scored);
}

/** Pure: the found data as the export document; `tags`, `scores`: the tag values and model scores computed from the profile. */
export function toExport(data: UserData, now: Date, tags?: TagValues, scores?: Record<string, number>): UserExport {
  return {
    userId: data.userKey,
    exportedAt: now.toISOString(),
    held: !holdsNothing(data),
    identity: data.identity ? identityExport(data.identity) : null,
    profile: data.state ? { ...profileOf(data.state), ...(tags ? { tags } : {}), ...(scores ? { scores } : {}) } : null,
    otherProfiles: Object.fromEntries(data.otherStates.map(({ userKey, state }) => [userKey, profileOf(state)])),
    journeys: data.journeys,
    sends: data.sends.map(({ journeyId, stepId, record }) => ({ ...record, journeyId, stepId })),
    coupons: data.coupons.map(({ journeyId, stepId, value }) => ({ ...(value && typeof value === 'object' ? value : { value }), journeyId, stepId })),
    linkedEntries: data.linked,
    events: data.events,
    rawEvents: data.rawEvents,
    unattributedJourneyIds: data.unattributed,
    notes: EXPORT_NOTES,
  };
}

export function profileOf(state: UserState): ProfileExport {
  const iso = (ms: number) => new Date(ms).toISOString();
  const { v: _v, userKey: _userKey, lastSeq: _lastSeq, clock, traits, traitsUpdatedAt, counters, sessions, entries, journeys, consent, ...rest } = state;
  return {
    ...rest,
    traits,
    traitsUpdatedAt: Object.fromEntries(Object.entries(traitsUpdatedAt).map(([name, at]) => [name, iso(at)])),
    consent: Object.fromEntries(
      Object.entries(consent).map(([channel, topics]) => [channel, Object.fromEntries(Object.entries(topics).map(([topic, c]) => [topic, { ...c, at: iso(c.at) }]))]),
    ),
    lastEventAt: clock ? iso(clock) : null,
    counters: Object.fromEntries(Object.entries(counters).map(([key, times]) => [key, times.map(iso)])),
    ...(sessions ? { sessions: Object.fromEntries(Object.entries(sessions).map(([key, s]) => [key, { startedAt: iso(s.startedAt), lastAt: iso(s.lastAt), values: s.values }])) } : {}),
    entries: Object.fromEntries(
      Object.entries(entries).map(([rule, e]) => [rule, { entries: e.entries, lastEnteredAt: iso(e.lastEnteredAt), lastJourneyId: e.lastWorkflowId }]),
    ),
    journeyMarkers: Object.fromEntries(
      Object.entries(journeys).map(([rule, m]) => [rule, { journeyId: m.workflowId, ruleVersion: m.ruleVersion, startedAt: iso(m.startedAt), listens: m.listens }]),
    ),
  };
}
