/**
 * Export and erase through `nudge api`, on a real nats-server and the shared Temporal dev server: an
 * operator exports a person found by email, erases them by email, and the audit stream holds who
 * erased whom and when; the person is gone (404) and a second erase finds nothing (and is audited too).
 */
import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import type { ApiServer } from './api-server';
import { startApiService } from './api-service';
import { auditRecords as readAuditRecords, seedPerson } from './api.harness';
import { createApiToken } from './api-tokens';
import { AUDIT_STREAM } from './audit-log';
import { EraseSummaryBody, UserExportBody } from './api-schemas';

const run = randomUUID().slice(0, 8); // Temporal is shared by the test files
const ann = { person: `p-ann-${run}`, userId: `ann-${run}`, email: `ann-${run}@example.com` };
const dpo = createApiToken({ name: 'dpo', role: 'operator' });

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let api: ApiServer;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  const config = loadConfig({
    NATS_URL: nats.url, TEMPORAL_ADDRESS: inject('temporalAddress'), NUDGE_API_PORT: '0', NUDGE_PARTITIONS: '4', NUDGE_TAGS_DIR: 'test/fixtures/no-such-tags',
    NUDGE_API_TOKENS: JSON.stringify([dpo.entry]), LOG_LEVEL: 'silent',
  });
  await seedPerson(nc, { id: ann.person, identifiers: { userId: [ann.userId], email: [ann.email] }, lookUp: ['userId', 'email'], state: { traits: { email: ann.email, first_name: 'Ann' } } });
  api = await startApiService({ config, log: createLogger('test', 'silent') });
});

afterAll(async () => {
  await api?.stop();
  await nc?.close();
  await nats?.stop();
});

const post = async (path: string) => {
  const response = await fetch(`${api.url}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${dpo.token}` } });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};

const auditRecords = () => readAuditRecords(jsm);

describe('export and erase through nudge api', () => {
  it('exports, then erases by email; the audit stream holds who erased whom and when', async () => {
    const exported = await post(`/v1/profiles/${encodeURIComponent(ann.email)}/export`);
    expect(exported).toMatchObject({ status: 200, json: { userId: ann.person, held: true, profile: { traits: { email: ann.email, first_name: 'Ann' } } } });

    expect(() => UserExportBody.parse(exported.json), 'the documented schema').not.toThrow();
    const before = Date.now();
    const erased = await post(`/v1/profiles/${encodeURIComponent(ann.email)}/erase`);
    const after = Date.now();
    expect(erased).toMatchObject({ status: 200, json: { userId: ann.email, person: { personId: ann.person, via: 'email' }, nothingFound: false, profileDeleted: true } });
    expect(() => EraseSummaryBody.parse(erased.json), 'the documented schema').not.toThrow();
    const profile = await fetch(`${api.url}/v1/profiles/${encodeURIComponent(ann.email)}`, { headers: { Authorization: `Bearer ${dpo.token}` } });
    expect(profile.status).toBe(404);

    const records = await auditRecords();
    expect(records.map((r) => [r.actor, r.action, r.subject, r.personId, r.result])).toEqual([
      ['dpo', 'export', ann.email, ann.person, 'ok'],
      ['dpo', 'erase', ann.email, ann.person, 'ok'],
    ]);
    const erase = records[1]!;
    expect(Date.parse(erase.at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(erase.at)).toBeLessThanOrEqual(after);
    expect(erase.detail).toContain('profile deleted');
    // The audit stream refuses deletes and purges: an operator cannot remove the record through NATS either.
    await expect(jsm.streams.purge(AUDIT_STREAM)).rejects.toThrow();
  });

  it('a second erase finds nothing and is audited as well', async () => {
    expect(await post(`/v1/profiles/${ann.person}/erase`)).toMatchObject({ status: 200, json: { nothingFound: true } });
    expect((await auditRecords()).at(-1)).toMatchObject({ actor: 'dpo', action: 'erase', subject: ann.person, result: 'ok', detail: 'nothing left to erase' });
  });
});
