/**
 * `nudge profile <any identifier>` on a real nats-server with an identity graph (written directly): the
 * person is found by a merged-away id or by an identifier written any accepted way, and shown with their
 * identifiers, merges and refused links; one the graph knows but whose events were not applied yet is
 * still shown. (test/e2e/profile.test.ts covers a profile without a graph, as before it.)
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { loadConfig, type Config } from '../../platform/config';
import { IDENTITY_BUCKET, KvIdentityStore } from '../identity/identity-store';
import { openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { emptyState } from '../state/behavior-state';
import { StateStore } from '../../platform/stores/state-store';
import { runProfile } from './profile-command';
import type { UserProfile } from './user-profile';

let nats: NatsServerHandle;
let nc: NatsConnection;
let config: Config;
const merge = { at: '2026-03-02T10:00:00.000Z', from: 'dev-1', into: 'ann', via: { type: 'email', value: 'ann@example.com' }, messageId: 'm-7' };

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  config = loadConfig({ NATS_URL: nats.url, NUDGE_PHONE_REGION: 'CN', NUDGE_TAGS_DIR: 'test/fixtures/no-such-tags' });
  const store = new KvIdentityStore(await new Kvm(nc).create(IDENTITY_BUCKET));
  await store.putPerson({ v: 1, id: 'ann', createdAt: 0, identifiers: { userId: ['ann'], email: ['ann@example.com'], phone: ['+8613800138000'], anonymousId: ['dev-1'] }, merges: [merge], refusals: [] }, 0);
  await store.putPerson({ v: 1, id: 'dev-1', createdAt: 0, identifiers: { anonymousId: ['dev-1'] }, mergedInto: 'ann', merges: [merge], refusals: [] }, 0);
  await store.putPerson({ v: 1, id: 'new-person', createdAt: 0, identifiers: { userId: ['new-person'] }, merges: [], refusals: [] }, 0);
  await store.putIdentifier({ type: 'phone', value: '+8613800138000' }, 'ann', 0);
  await store.putIdentifier({ type: 'anonymousId', value: 'dev-1' }, 'dev-1', 0);
  await new StateStore(await openBucket(nc, USERS_BUCKET)).save({ ...emptyState('ann'), traits: { plan: 'team' } }, 0);
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

async function profile(id: string, json = false): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await runProfile(config, id, { json }, (t) => (text += t));
  return { code, text };
}

describe('nudge profile with the identity graph', () => {
  it('finds the person by a phone number as people write it, and shows their identity', async () => {
    const { code, text } = await profile('138 0013 8000');
    expect(code).toBe(0);
    expect(text).toMatch(/^profile ann\n {2}looked up by phone \+8613800138000\n {2}first seen {3}1970-01-01T00:00:00\.000Z\n/);
    expect(text).toContain('\nidentifiers\n  userId       ann\n  email        ann@example.com\n  phone        +8613800138000\n  anonymousId  dev-1\n');
    expect(text).toContain('\nmerges\n  2026-03-02T10:00:00.000Z  dev-1 merged into ann  via email ann@example.com  event m-7\n');
    expect(text).toContain('\nrefused links\n  none\n');
    expect(text).toContain('\ntraits\n  plan  team\n');
  });

  it('finds the live person from a merged-away id or an identifier that still names it; JSON carries the identity', async () => {
    expect((await profile('dev-1')).text).toContain('profile ann\n  looked up by person id dev-1, since merged into ann\n');
    const parsed = JSON.parse((await profile('dev-1', true)).text) as UserProfile;
    expect(parsed).toMatchObject({ id: 'ann', identity: { personId: 'ann', lookedUpBy: null, mergedFrom: 'dev-1', merges: [merge], refusals: [] }, traits: [{ name: 'plan', value: 'team' }] });
  });

  it('shows a person the graph knows before any of their events was applied; says so for an unknown id', async () => {
    const { code, text } = await profile('new-person');
    expect(code).toBe(0);
    expect(text).toContain('profile new-person\n');
    expect(text).toContain('\nidentifiers\n  userId  new-person\n');
    expect(await profile('nobody')).toMatchObject({ code: 1, text: expect.stringMatching(/^no profile for "nobody"/) });
  });
});
