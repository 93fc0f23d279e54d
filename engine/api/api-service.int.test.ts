/**
 * `nudge api` on a real nats-server (no Temporal: nothing here reaches it): a person written directly
 * to the identity graph and state store is read by any identifier; missing, forged and expired tokens
 * are 401; a viewer's export, erase and event post are 403, change nothing and are audited as denied;
 * an operator's events are validated like the collector's and stored in the raw stream; /openapi.json
 * is the generated document. (Export and erase that run: api-erase.e2e.test.ts, with Temporal.)
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { RAW_STREAM } from '../events/subjects';
import type { ApiServer } from './api-server';
import { startApiService } from './api-service';
import { auditRecords as readAuditRecords, seedPerson } from './api.harness';
import { createApiToken } from './api-tokens';
import { openApiDocument } from './openapi';
import { EventsResult, JourneyList, Profile } from './api-schemas';

const viewer = createApiToken({ name: 'crm', role: 'viewer' });
const operator = createApiToken({ name: 'support-lead', role: 'operator' });
const expired = createApiToken({ name: 'old-crm', role: 'operator', expiresAt: new Date('2026-01-01T00:00:00.000Z') });
const ann = { person: 'p-ann', email: 'ann@example.com', phone: '+8613800138000' };

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let api: ApiServer;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  const config = loadConfig({
    NATS_URL: nats.url, TEMPORAL_ADDRESS: '127.0.0.1:1', NUDGE_API_PORT: '0', NUDGE_PHONE_REGION: 'CN', NUDGE_PARTITIONS: '4', NUDGE_TAGS_DIR: 'test/fixtures/no-such-tags',
    NUDGE_API_TOKENS: JSON.stringify([viewer.entry, operator.entry, expired.entry]), LOG_LEVEL: 'silent',
  });
  const journey = { workflowId: 'journey/welcome/p-ann/m-1', ruleVersion: 3, startedAt: Date.parse('2026-03-01T10:00:00.000Z'), listens: ['purchase'], endNotice: true };
  await seedPerson(nc, { id: ann.person, identifiers: { userId: ['ann'], email: [ann.email], phone: [ann.phone] }, lookUp: ['email', 'phone'], state: { traits: { email: ann.email, plan: 'team' }, journeys: { welcome: journey } } });
  api = await startApiService({ config, log: createLogger('test', 'silent') });
});

afterAll(async () => {
  await api?.stop();
  await nc?.close();
  await nats?.stop();
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

const auditRecords = () => readAuditRecords(jsm);
const rawMessages = async () => (await jsm.streams.info(RAW_STREAM)).state.messages;
const batch = (messageId: string) => ({ batch: [{ type: 'track', event: 'ticket_closed', userId: 'ann', messageId, timestamp: '2026-03-02T10:00:00.000Z', properties: { ticket: 7 } }] });

describe('nudge api', () => {
  it('finds a person by email, by phone as people write it, or by person id, and lists their journeys', async () => {
    for (const id of [ann.email, '138 0013 8000', ann.person]) {
      const { status, json } = await call('GET', `/v1/profiles/${encodeURIComponent(id)}`, viewer.token);
      expect(status, id).toBe(200);
      expect(() => Profile.parse(json), 'the documented schema').not.toThrow();
      expect(json).toMatchObject({ id: ann.person, identity: { personId: ann.person, identifiers: { email: [ann.email] } }, traits: expect.arrayContaining([{ name: 'plan', value: 'team', setAt: null }]) });
    }
    const journeys = await call('GET', `/v1/profiles/${encodeURIComponent(ann.email)}/journeys`, operator.token);
    expect(() => JourneyList.parse(journeys.json)).not.toThrow();
    expect(journeys).toMatchObject({ status: 200, json: { id: ann.person, journeys: [{ ruleId: 'welcome', journeyId: 'journey/welcome/p-ann/m-1', ruleVersion: 3, startedAt: '2026-03-01T10:00:00.000Z', listens: ['purchase'] }] } });
    expect(await call('GET', '/v1/profiles/nobody%40example.com', viewer.token)).toMatchObject({ status: 404, json: { error: expect.stringContaining('no profile for "nobody@example.com"') } });
  });

  it.each([
    ['no token', undefined, 'missing bearer token'],
    ['a forged token', `nudge_api_${'x'.repeat(43)}`, 'unknown token'],
    ['an expired token', expired.token, 'token "old-crm" expired at 2026-01-01T00:00:00.000Z'],
  ])('answers 401 to %s', async (_name, token, reason) => {
    const before = await rawMessages();
    for (const [method, path, body] of [['GET', `/v1/profiles/${ann.person}`], ['POST', `/v1/profiles/${ann.person}/erase`], ['POST', '/v1/events', batch('m-401')]] as const) {
      const { status, json, headers } = await call(method, path, token, body);
      expect({ status, json }, `${method} ${path}`).toEqual({ status: 401, json: { error: expect.stringContaining(reason) } });
      expect(headers.get('www-authenticate')).toBe('Bearer realm="nudge api"');
    }
    expect(await rawMessages()).toBe(before);
    expect((await call('GET', `/v1/profiles/${ann.person}`, viewer.token)).status).toBe(200);
  });

  it('answers 403 to a viewer that exports, erases or posts events: nothing changes, and the attempt is audited', async () => {
    const rawBefore = await rawMessages();
    const profileBefore = (await call('GET', `/v1/profiles/${ann.person}`, viewer.token)).json;
    for (const [path, body, action] of [[`/v1/profiles/${encodeURIComponent(ann.email)}/erase`, undefined, 'erase'], [`/v1/profiles/${ann.person}/export`, undefined, 'export'], ['/v1/events', batch('m-403'), 'post_events']] as const) {
      expect(await call('POST', path, viewer.token, body)).toMatchObject({ status: 403, json: { error: `token "crm" has role viewer; ${action === 'erase' ? 'eraseProfile' : action === 'export' ? 'exportProfile' : 'postEvents'} needs operator` } });
    }
    expect((await call('GET', `/v1/profiles/${ann.person}`, viewer.token)).json).toEqual(profileBefore);
    expect(await rawMessages()).toBe(rawBefore);
    const denied = (await auditRecords()).filter((r) => r.result === 'denied');
    expect(denied.map((r) => [r.actor, r.role, r.action, r.subject])).toEqual([['crm', 'viewer', 'erase', ann.email], ['crm', 'viewer', 'export', ann.person], ['crm', 'viewer', 'post_events', null]]);
  });

  it('stores an operator\'s events in the raw stream like the collector, refuses an invalid batch whole, and audits both', async () => {
    const before = await rawMessages();
    const first = await call('POST', '/v1/events', operator.token, batch('m-ok'));
    expect(first).toEqual({ status: 200, json: { published: 1, duplicates: 0 }, headers: expect.anything() });
    expect(EventsResult.parse(first.json)).toEqual(first.json);
    expect(await call('POST', '/v1/events', operator.token, batch('m-ok'))).toMatchObject({ status: 200, json: { published: 0, duplicates: 1 } });
    const invalid = { batch: [batch('m-good').batch[0], { type: 'track', userId: 'ann', messageId: 'm-bad' }] };
    expect(await call('POST', '/v1/events', operator.token, invalid)).toMatchObject({ status: 400, json: { error: expect.stringContaining('batch[1].event') } });
    expect(await rawMessages()).toBe(before + 1);
    const stored = (await jsm.streams.getMessage(RAW_STREAM, { last_by_subj: 'nudge.raw' }))!.json<Record<string, unknown>>();
    expect(stored).toMatchObject({ type: 'track', event: 'ticket_closed', userId: 'ann', messageId: 'm-ok', context: { source: 'api:support-lead' } });
    const posts = (await auditRecords()).filter((r) => r.action === 'post_events' && r.actor === 'support-lead');
    expect(posts.map((r) => [r.result, r.detail?.slice(0, 30)])).toEqual([['ok', '1 published, 0 duplicates'], ['ok', '0 published, 1 duplicates'], ['failed', expect.stringContaining('400: ')]]);
  });

  it('serves the generated OpenAPI document without a token, and refuses unknown routes and methods', async () => {
    expect(await call('GET', '/openapi.json')).toMatchObject({ status: 200, json: JSON.parse(JSON.stringify(openApiDocument())) as Record<string, unknown> });
    expect(await call('GET', '/v1/nothing', operator.token)).toMatchObject({ status: 404 });
    expect(await call('DELETE', `/v1/profiles/${ann.person}`, operator.token)).toMatchObject({ status: 405 });
    expect(await call('GET', '/healthz')).toMatchObject({ status: 200, json: { ok: true } });
  });
});
