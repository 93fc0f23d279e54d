/**
 * The HTTP API's routes as one table: path, role, audited action, schemas and handler. The server
 * (api-server.ts) dispatches on it and the OpenAPI document (openapi.ts) is generated from it, so every
 * route served is documented with its request and response schemas.
 */
import type { ZodObject, ZodType } from 'zod';
import { z } from 'zod';
import type { ApiTokenEntry } from '../../platform/api-token-entry';
import type { EventEnvelope } from '../events/envelope';
import { HttpError } from '../inbound/http-io';
import { collectBatch, MAX_BATCH_BYTES } from '../collect/segment-messages';
import type { EraseSummary } from '../privacy/erase-user';
import type { UserExport } from '../privacy/export-user';
import type { UserProfile } from '../profile/user-profile';
import type { ApiAction } from './api-tokens';
import { EraseSummaryBody, EventsRequest, EventsResult, JourneyList, PersonId, Profile, UserExportBody } from './api-schemas';

/** What the routes do, bound to NATS and Temporal by api-service.ts: the same functions as `nudge profile`, `export`, `erase` and the collector's publish. */
export interface ApiOperations {
  readProfile(id: string, options: { temporal: boolean }): Promise<UserProfile | null>;
  exportUser(id: string): Promise<UserExport>;
  eraseUser(id: string): Promise<EraseSummary>;
  /** Stores the events in the raw stream, in order (messageId as Nats-Msg-Id). */
  publish(event: EventEnvelope): Promise<'published' | 'duplicate'>;
}

export interface RouteInput {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (routes with `body` only). */
  body: unknown;
  token: ApiTokenEntry;
  ops: ApiOperations;
  now: Date;
}

/** A handler's answer: the body, and for audited actions whom it concerned and a summary. */
export interface RouteOutput {
  body: unknown;
  personId?: string | null;
  detail?: string;
}

export interface ApiRoute {
  method: 'get' | 'post';
  /** Segments; ":name" captures one (percent-decoded, so an id may hold "/" written as %2F). */
  path: string[];
  openApiPath: string;
  operationId: string;
  summary: string;
  description: string;
  /** The least role that may call it. */
  role: 'viewer' | 'operator';
  action: ApiAction;
  params?: ZodObject;
  query?: ZodObject;
  body?: ZodType;
  bodyLimit?: number;
  response: ZodType;
  okDescription: string;
  errors: number[];
  handle(input: RouteInput): Promise<RouteOutput>;
}

const TemporalQuery = z.object({ temporal: z.enum(['true', 'false']).optional().describe('"true": confirm each running journey with Temporal (describe) and show its status.') });

async function profileOf(input: RouteInput): Promise<UserProfile> {
  const id = input.params.id!;
  const profile = await input.ops.readProfile(id, { temporal: input.query.get('temporal') === 'true' });
  if (!profile) throw new HttpError(404, `no profile for "${id}": no person in the identity graph has this id or identifier, and no behavior state is kept under it`);
  return profile;
}

const PROFILE_ERRORS = [401, 403, 404, 502];

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get', path: ['v1', 'profiles', ':id'], openApiPath: '/v1/profiles/{id}', operationId: 'getProfile',
    summary: 'A person by any identifier', description: 'The person as `nudge profile` shows them: identity graph record, traits, tags, recent events, consent, running journeys, entries.',
    role: 'viewer', action: 'read', params: PersonId, query: TemporalQuery, response: Profile, okDescription: 'The profile.', errors: PROFILE_ERRORS,
    handle: async (input) => ({ body: await profileOf(input) }),
  },
  {
    method: 'get', path: ['v1', 'profiles', ':id', 'journeys'], openApiPath: '/v1/profiles/{id}/journeys', operationId: 'listJourneys',
    summary: 'A person\'s running journeys', description: 'The journeys the engine started for the person and believes are running (as `nudge profile` lists them); with temporal=true each is confirmed with Temporal.',
    role: 'viewer', action: 'read', params: PersonId, query: TemporalQuery, response: JourneyList, okDescription: 'The journeys.', errors: PROFILE_ERRORS,
    handle: async (input) => {
      const profile = await profileOf(input);
      return { body: { id: profile.id, journeys: profile.journeys } };
    },
  },
  {
    method: 'post', path: ['v1', 'profiles', ':id', 'export'], openApiPath: '/v1/profiles/{id}/export', operationId: 'exportProfile',
    summary: 'Export everything held about a person (GDPR access)', description: 'The same document as `nudge export --user <id>`. Audited.',
    role: 'operator', action: 'export', params: PersonId, response: UserExportBody, okDescription: 'The export.', errors: [401, 403, 502],
    handle: async (input) => {
      const data = await input.ops.exportUser(input.params.id!);
      return { body: data, personId: data.held ? data.userId : null, detail: data.held ? `exported ${data.events.length} events, ${data.journeys.length} journeys, ${data.sends.length} sends` : 'nothing held' };
    },
  },
  {
    method: 'post', path: ['v1', 'profiles', ':id', 'erase'], openApiPath: '/v1/profiles/{id}/erase', operationId: 'eraseProfile',
    summary: 'Erase a person (GDPR erasure)', description: 'The same erase as `nudge erase --user <id>`: running journeys stopped first, then events, profiles, ledger personal fields, coupons, linked entries, Temporal executions and identity records. Safe to repeat. Audited.',
    role: 'operator', action: 'erase', params: PersonId, response: EraseSummaryBody, okDescription: 'What was erased.', errors: [401, 403, 502],
    handle: async (input) => {
      const summary = await input.ops.eraseUser(input.params.id!);
      const detail = summary.nothingFound
        ? 'nothing left to erase'
        : `profile ${summary.profileDeleted ? 'deleted' : 'absent'}, ${summary.eventsDeleted + summary.rawEventsDeleted} events, ${summary.journeysDeleted.length} journeys deleted, ${summary.identityRecordsDeleted} identity records, ${summary.sendsAnonymized} sends anonymized`;
      return { body: summary, personId: summary.person?.personId ?? null, detail };
    },
  },
  {
    method: 'post', path: ['v1', 'events'], openApiPath: '/v1/events', operationId: 'postEvents',
    summary: 'Post events', description: 'Segment messages as a batch, validated exactly as the collector\'s /v1/batch (all or nothing: one invalid message refuses the request, naming batch[i].field) and stored in the raw stream like the collector\'s; context.source is "api:<token name>". 200 means stored. Audited.',
    role: 'operator', action: 'post_events', body: EventsRequest, bodyLimit: MAX_BATCH_BYTES, response: EventsResult, okDescription: 'Every message is stored.', errors: [400, 401, 403, 413, 503],
    handle: async (input) => {
      const collected = collectBatch(input.body, { source: `api:${input.token.name}`, receivedAt: input.now.getTime() });
      if (!collected.ok) throw new HttpError(400, collected.reason);
      let duplicates = 0;
      for (const [index, event] of collected.events.entries()) {
        try {
          if ((await input.ops.publish(event)) === 'duplicate') duplicates++;
        } catch (error) {
          throw new HttpError(503, `could not store message ${index} (${event.messageId}) in NATS JetStream: ${(error as Error).message}; retry the request (messages already stored are dropped as duplicates)`);
        }
      }
      const published = collected.events.length - duplicates;
      return { body: { published, duplicates }, personId: null, detail: `${published} published, ${duplicates} duplicates` };
    },
  },
];

/** The route and its captured params for a method and path; `allowed` lists the methods of a path that exists. */
export function matchRoute(method: string, pathname: string): { route: ApiRoute; params: Record<string, string> } | { route: null; allowed: string[] } {
  const segments = pathname.split('/').filter(Boolean);
  const allowed: string[] = [];
  for (const route of API_ROUTES) {
    const params = matchPath(route.path, segments);
    if (!params) continue;
    if (route.method === method.toLowerCase()) return { route, params };
    allowed.push(route.method.toUpperCase());
  }
  return { route: null, allowed };
}

function matchPath(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i]!;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(segment);
      } catch {
        throw new HttpError(400, `path segment ${i + 1} is not valid percent-encoding`);
      }
    } else if (part !== segment) return null;
  }
  return params;
}
