/**
 * Export and erase through the identity graph, on a real nats-server (no engine: the graph, states and
 * streams are written directly). Ann is two people merged into one — p-ann kept its id, p-device was
 * merged into it — and a link with Bob was refused (recorded on both). Looked up by any identifier,
 * written any accepted way, she is exported completely and erased without a trace in any bucket
 * (values, keys, earlier revisions); Bob keeps everything that is his. A second erase finds nothing.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { loadConfig, type Config } from '../../platform/config';
import { CONTROL_HEADER, deadLetterSubject, EVENTS_STREAM, PERSON_HEADER, RAW_STREAM, RAW_SUBJECT, partitionOf, partitionSubject } from '../events/subjects';
import { IDENTITY_BUCKET, KvIdentityStore, type MergeRecord, type PersonRecord, type RefusalRecord } from '../identity/identity-store';
import { ensureStreams, openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { emptyState } from '../state/behavior-state';
import { StateStore } from '../../platform/stores/state-store';
import { eraseUser, formatEraseSummary } from './erase-user';
import { exportUser } from './export-user';

const PARTITIONS = 4;
const run = randomUUID().slice(0, 8); // person ids are unique per run: Temporal is shared by the test files
const ann = { person: `p-ann-${run}`, merged: `p-device-${run}`, userId: `ann-${run}`, email: `ann-${run}@example.com`, phone: '+8613800138000', devices: [`dev-a-${run}`, `dev-b-${run}`] };
const bob = { person: `p-bob-${run}`, userId: `bob-${run}` };
const at = (day: number) => `2026-03-0${day}T10:00:00.000Z`;

const merge: MergeRecord = { at: at(2), from: ann.merged, into: ann.person, via: { type: 'email', value: ann.email }, messageId: 'm-merge' };
/** Bob's event carried Ann's phone: merging would give one person two userIds, so the link was refused (on both). */
const refusal = (otherPerson: string): RefusalRecord => ({
  at: at(3),
  identifier: { type: 'phone', value: ann.phone },
  reason: 'unique',
  detail: `${ann.person} has userId "${ann.userId}" and ${bob.person} has userId "${bob.userId}"; userId is unique per person`,
  otherPerson,
  messageId: 'm-bob-1',
});
const person = (id: string, identifiers: Record<string, string[]>, extra: Partial<PersonRecord> = {}): PersonRecord => ({ v: 1, id, createdAt: Date.parse(at(1)), identifiers, merges: [], refusals: [], ...extra });

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let config: Config;

beforeAll(async () => {
  // Encrypted at rest, as `nudge dev` runs it: erase purges from an encrypted store the same way.
  nats = await startNats({ encryption: { cipher: 'aes', key: randomUUID() } });
  nc = await connect({ servers: nats.url });
  config = loadConfig({ NATS_URL: nats.url, TEMPORAL_ADDRESS: inject('temporalAddress'), NUDGE_PARTITIONS: String(PARTITIONS), NUDGE_PHONE_REGION: 'CN', NUDGE_TAGS_DIR: 'rules/tags' });
  jsm = await ensureStreams(nc, { partitions: PARTITIONS, duplicateWindowMs: 60_000 });
  if (!(await jsm.streams.info(RAW_STREAM).catch(() => null))) await jsm.streams.add({ name: RAW_STREAM, subjects: [RAW_SUBJECT] });

  // The graph keeps history, so erase must remove earlier revisions too.
  const store = new KvIdentityStore(await new Kvm(nc).create(IDENTITY_BUCKET, { history: 5 }));
  const annBefore = person(ann.person, { userId: [ann.userId], email: [ann.email] });
  const annNow = { ...annBefore, identifiers: { userId: [ann.userId], email: [ann.email], phone: [ann.phone], anonymousId: [ann.devices[0]!, ann.devices[1]!] }, merges: [merge], refusals: [refusal(bob.person)] };
  await store.putPerson(annNow, await store.putPerson(annBefore, 0));
  await store.putPerson(person(ann.merged, { anonymousId: [ann.devices[1]!], email: [ann.email] }, { mergedInto: ann.person }), 0);
  const bobBefore = person(bob.person, { userId: [bob.userId] });
  await store.putPerson({ ...bobBefore, refusals: [refusal(ann.person)] }, await store.putPerson(bobBefore, 0));
  for (const [type, value, owner] of [
    ['userId', ann.userId, ann.person],
    ['phone', ann.phone, ann.person],
    ['anonymousId', ann.devices[0], ann.person],
    ['email', ann.email, ann.merged], // still names the merged-away person: resolution follows the redirect
    ['anonymousId', ann.devices[1], ann.merged],
    ['userId', bob.userId, bob.person],
  ] as const) await store.putIdentifier({ type, value: value! }, owner, 0);

  // States: Ann's, the merged-away tombstone, one kept under her userId before the graph, and Bob's.
  const states = new StateStore(await openBucket(nc, USERS_BUCKET));
  await states.save({ ...emptyState(ann.person), traits: { email: ann.email, phone: ann.phone, first_name: 'Ann' } }, 0);
  await states.save({ ...emptyState(ann.merged), mergedInto: ann.person }, 0);
  await states.save({ ...emptyState(ann.userId), traits: { email: ann.email } }, 0);
  await states.save({ ...emptyState(bob.person), traits: { first_name: 'Bob' } }, 0);

  const js = jetstream(nc);
  const event = (id: string, body: Record<string, unknown>) => JSON.stringify({ messageId: id, timestamp: at(2), context: {}, ...body });
  const routed = async (personId: string, data: string, control?: string) => {
    const h = headers();
    h.set(PERSON_HEADER, personId);
    if (control) h.set(CONTROL_HEADER, control);
    await js.publish(partitionSubject(partitionOf(personId, PARTITIONS)), data, { headers: h });
  };
  await js.publish(RAW_SUBJECT, event('m-1', { type: 'identify', anonymousId: ann.devices[1], traits: { email: ann.email } }));
  await js.publish(RAW_SUBJECT, event('m-2', { type: 'identify', userId: ann.userId, anonymousId: ann.devices[0], traits: { phone: '138 0013 8000' } }));
  await js.publish(RAW_SUBJECT, event('m-bob-1', { type: 'identify', userId: bob.userId, traits: { phone: ann.phone } }));
  await routed(ann.merged, event('m-1', { type: 'identify', anonymousId: ann.devices[1], traits: { email: ann.email } }));
  await routed(ann.merged, JSON.stringify(merge), 'merge');
  await routed(ann.person, event('m-2', { type: 'identify', userId: ann.userId, anonymousId: ann.devices[0], traits: { phone: ann.phone } }));
  await routed(bob.person, event('m-bob-1', { type: 'identify', userId: bob.userId, traits: { phone: ann.phone } }));
  await js.publish(partitionSubject(partitionOf(ann.userId, PARTITIONS)), event('m-0', { type: 'track', event: 'page_viewed', userId: ann.userId })); // before the graph: no header
  await js.publish(deadLetterSubject('unrouted'), JSON.stringify({ type: 'track', userId: ann.userId }));
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** Every message still stored in a stream (values, history, delete markers of buckets), subject and data as text. */
async function streamContents(stream: string): Promise<string[]> {
  const info = await jsm.streams.info(stream).catch(() => null);
  if (!info || info.state.messages === 0) return [];
  const texts: string[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (msg) texts.push(`${msg.subject} ${msg.string()}`);
  }
  return texts;
}

async function allStreams(): Promise<string[]> {
  const names: string[] = [];
  for await (const name of jsm.streams.names()) names.push(name);
  return names.sort();
}

/** Ann's ids and values found in the text, also inside base64url tokens (KV keys encode ids and values). */
function mentionsOfAnn(text: string): string[] {
  const decoded = text.split(/[^A-Za-z0-9_-]+/).filter((t) => t.length >= 8).map((t) => Buffer.from(t, 'base64url').toString('latin1'));
  const readable = [text, ...decoded].join('\n');
  return [ann.person, ann.merged, ann.userId, ann.email, ann.phone, ann.phone.slice(1), ...ann.devices].filter((needle) => readable.includes(needle));
}

describe('export and erase through the identity graph', () => {
  it('exports the whole person, found by a phone number as people write it', async () => {
    const exported = await exportUser(config, '138 0013 8000', {});
    expect(exported).toMatchObject({ userId: ann.person, held: true, profile: { traits: { first_name: 'Ann' } } });
    expect(exported.identity).toEqual({
      personId: ann.person,
      lookedUpBy: { type: 'phone', value: ann.phone },
      mergedFrom: null,
      firstSeenAt: at(1),
      identifiers: { userId: [ann.userId], email: [ann.email], phone: [ann.phone], anonymousId: ann.devices },
      mergedPeople: [ann.merged],
      merges: [merge],
      // Who the other person is, is theirs: neither their id nor their identifiers are exported.
      refusals: [{ at: at(3), identifier: { type: 'phone', value: ann.phone }, reason: 'unique', detail: 'linking it would have merged this person with another one (unique)', messageId: 'm-bob-1' }],
      refusalsOnOtherPeople: [{ at: at(3), identifier: { type: 'phone', value: ann.phone }, reason: 'unique' }],
    });
    expect(Object.keys(exported.otherProfiles)).toEqual([ann.merged, ann.userId]);
    expect(exported.otherProfiles[ann.merged]).toMatchObject({ mergedInto: ann.person });
    const ids = (events: typeof exported.events) => events.map((e) => `${e.stream}:${e.control ?? (e.event as { messageId?: string }).messageId ?? 'invalid'}`).sort();
    expect(ids(exported.events)).toEqual(['NUDGE_DEAD_LETTERS:invalid', 'NUDGE_EVENTS:m-0', 'NUDGE_EVENTS:m-1', 'NUDGE_EVENTS:m-2', 'NUDGE_EVENTS:merge']);
    // Bob's event carried Ann's phone, but its strongest identifier is Bob's userId: it is his.
    expect(ids(exported.rawEvents)).toEqual(['NUDGE_RAW:m-1', 'NUDGE_RAW:m-2']);
    expect(JSON.stringify(exported)).not.toContain(bob.person);
    expect(JSON.stringify(exported)).not.toContain(bob.userId);

    const viaMerged = await exportUser(config, ann.merged, {});
    expect(viaMerged.identity).toMatchObject({ personId: ann.person, lookedUpBy: null, mergedFrom: ann.merged });
  });

  it('erases the person, the people merged into them and every identifier, leaving nothing in any bucket; Bob keeps his', async () => {
    const summary = await eraseUser(config, ` ${ann.email.toUpperCase()} `, {});
    expect(summary).toMatchObject({
      nothingFound: false,
      person: { personId: ann.person, via: 'email', value: ann.email },
      profileDeleted: true,
      otherProfilesDeleted: [ann.merged, ann.userId],
      eventsDeleted: 5,
      rawEventsDeleted: 2,
      identityRecordsDeleted: 7, // 5 identifier records, the person and the one merged into them
      identityRecordsRedacted: 1, // Bob's refusal that names Ann
    });
    expect(formatEraseSummary(summary).join('\n')).toContain(`person                     ${ann.person} (found by email ${ann.email})`);

    const buckets = (await allStreams()).filter((name) => name.startsWith('KV_'));
    expect(buckets).toEqual(expect.arrayContaining([`KV_${IDENTITY_BUCKET}`, `KV_${USERS_BUCKET}`]));
    for (const bucket of buckets) {
      const leaks = (await streamContents(bucket)).filter((text) => mentionsOfAnn(text).length > 0);
      expect(leaks, `Ann's data left in ${bucket}`).toEqual([]);
    }
    // What is left of the events is Bob's: his routed and raw event (which carried a phone he was refused).
    expect((await streamContents(EVENTS_STREAM)).map((text) => text.includes(bob.userId))).toEqual([true]);
    expect((await streamContents(RAW_STREAM)).map((text) => text.includes(bob.userId))).toEqual([true]);
    expect(await streamContents('NUDGE_DEAD_LETTERS')).toEqual([]);

    const bobStill = await exportUser(config, bob.userId, {});
    expect(bobStill.identity).toMatchObject({ personId: bob.person, identifiers: { userId: [bob.userId] }, refusals: [] });
    expect(bobStill.profile?.traits).toEqual({ first_name: 'Bob' });
  });

  it('a second erase finds nothing, by any id she had', async () => {
    for (const id of [ann.email, ann.person, ann.merged, ann.phone]) {
      const again = await eraseUser(config, id, {});
      expect(again.nothingFound).toBe(true);
      expect(formatEraseSummary(again)[0]).toMatch(/^nothing left to erase for user/);
    }
    expect(await exportUser(config, ann.userId, {})).toMatchObject({ held: false, identity: null, profile: null, otherProfiles: {}, events: [], rawEvents: [] });
  });
});
