/**
 * The HTTP API's contract: one zod schema per request and response body. They give the TypeScript types
 * (checked against the reports they carry: UserProfile, UserExport, EraseSummary), and the OpenAPI
 * document (openapi.ts) is generated from them, so the documentation cannot drift from what is served.
 */
import { z } from 'zod';
import type { EraseSummary } from '../privacy/erase-user';
import type { UserExport } from '../privacy/export-user';
import type { UserProfile } from '../profile/user-profile';
import { SEGMENT_TYPES } from '../collect/segment-messages';

export const ErrorBody = z.object({ error: z.string().describe('Why the request was refused or failed.') }).meta({ id: 'Error' });

export const PersonId = z.object({
  id: z.string().min(1).describe('A person id (also one merged away) or any identifier: userId, anonymousId, email, phone (without a country code read as NUDGE_PHONE_REGION), …'),
});

const iso = z.string().describe('ISO-8601 time');

export const Journey = z.object({
  ruleId: z.string(),
  journeyId: z.string().describe('The Temporal workflow id.'),
  ruleVersion: z.number(),
  startedAt: iso,
  listens: z.array(z.string()).describe('Events the running journey waits for.'),
  status: z.string().optional().describe('Temporal\'s status (RUNNING, COMPLETED, …, NOT_FOUND) when asked with ?temporal=true.'),
}).meta({ id: 'Journey' });

const IdentifierValue = z.object({ type: z.string(), value: z.string() });

export const Identity = z.object({
  personId: z.string(),
  lookedUpBy: IdentifierValue.nullable(),
  mergedFrom: z.string().nullable(),
  firstSeenAt: iso,
  identifiers: z.record(z.string(), z.array(z.string())).describe('type → values, first linked first.'),
  merges: z.array(z.object({ at: iso, from: z.string(), into: z.string(), via: IdentifierValue, messageId: z.string() })),
  refusals: z.array(z.object({ at: iso, identifier: IdentifierValue, reason: z.enum(['unique', 'limit']), detail: z.string(), otherPerson: z.string().optional(), messageId: z.string() })),
});

export const Profile = z.object({
  id: z.string().describe('The key the state is kept under: the person id.'),
  identity: Identity.nullable(),
  userId: z.string().nullable(),
  anonymousIds: z.array(z.string()),
  lastEventAt: iso.nullable(),
  traits: z.array(z.object({ name: z.string(), value: z.unknown(), setAt: iso.nullable() })),
  tags: z.record(z.string(), z.unknown()).describe('Behavior tag values computed now.'),
  recentEvents: z.array(z.object({ event: z.string(), where: z.unknown(), times: z.array(iso) })),
  sessions: z.array(z.object({ event: z.string(), where: z.unknown(), property: z.string(), gap: z.string(), startedAt: iso, lastAt: iso, values: z.array(z.string()) })),
  consent: z.array(z.object({ channel: z.string(), topic: z.string(), granted: z.boolean(), at: iso, source: z.string() })),
  journeys: z.array(Journey).describe('Journeys the engine started and believes are running.'),
  entries: z.array(z.object({ ruleId: z.string(), entries: z.number(), lastEnteredAt: iso, lastJourneyId: z.string() })),
}).meta({ id: 'Profile' });

export const JourneyList = z.object({ id: z.string(), journeys: z.array(Journey) }).meta({ id: 'JourneyList' });

export const UserExportBody = z.object({
  userId: z.string(),
  exportedAt: iso,
  held: z.boolean().describe('False when nudge holds nothing about the user.'),
  identity: z.unknown(),
  profile: z.unknown(),
  otherProfiles: z.record(z.string(), z.unknown()),
  journeys: z.array(z.object({ workflowId: z.string(), runId: z.string(), ruleId: z.string().nullable(), status: z.string(), startTime: iso, closeTime: iso.nullable() })),
  sends: z.array(z.record(z.string(), z.unknown())),
  coupons: z.array(z.record(z.string(), z.unknown())),
  linkedEntries: z.array(z.unknown()),
  events: z.array(z.unknown()),
  rawEvents: z.array(z.unknown()),
  unattributedJourneyIds: z.array(z.string()),
  notes: z.array(z.string()),
}).meta({ id: 'UserExport', description: 'Everything nudge holds about the user (the same document as `nudge export`).' });

export const EraseSummaryBody = z.object({
  userId: z.string(),
  person: z.object({ personId: z.string(), via: z.string(), value: z.string().optional(), mergedFrom: z.string().optional() }).nullable(),
  nothingFound: z.boolean(),
  journeysTerminated: z.array(z.string()),
  journeysDeleted: z.array(z.string()),
  journeysKept: z.array(z.object({ workflowId: z.string(), reason: z.string() })),
  profileDeleted: z.boolean(),
  otherProfilesDeleted: z.array(z.string()),
  eventsDeleted: z.number(),
  rawEventsDeleted: z.number(),
  identityRecordsDeleted: z.number(),
  identityRecordsRedacted: z.number(),
  sendsAnonymized: z.number(),
  sendIndexEntriesDeleted: z.number(),
  couponAssignmentsDeleted: z.number(),
  linkedEntriesDeleted: z.record(z.string(), z.number()),
  unattributedJourneyIds: z.array(z.string()),
}).meta({ id: 'EraseSummary', description: 'What was erased (the same summary as `nudge erase`).' });

export const EventsRequest = z.looseObject({
  batch: z.array(z.looseObject({ type: z.enum(SEGMENT_TYPES) })).describe('Segment messages, validated exactly as the collector\'s /v1/batch validates them (all or nothing).'),
  context: z.record(z.string(), z.unknown()).optional().describe('Default context of every message.'),
  sentAt: iso.optional(),
}).meta({ id: 'EventsRequest' });

export const EventsResult = z.object({
  published: z.number().describe('Messages stored in the raw stream.'),
  duplicates: z.number().describe('Messages whose messageId was stored before (dropped).'),
}).meta({ id: 'EventsResult' });

// Compile-time: the schemas describe the reports the routes return (a field added there must be added here).
type Assignable<T extends U, U> = T;
export type ProfileMatches = Assignable<UserProfile, z.input<typeof Profile>>;
export type EraseMatches = Assignable<EraseSummary, z.input<typeof EraseSummaryBody>>;
export type ExportMatches = Assignable<UserExport, z.input<typeof UserExportBody>>;
