/**
 * JetStream encryption at rest, as `nudge dev` and the demo run it: a person's email and phone, written
 * through the real publishers and stores (raw stream, partition, behavior state, identity graph), are
 * nowhere in the server's store directory. The same writes to a server without encryption are found
 * there, so the search would see them if encryption did not hide them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { startNats, type NatsServerOptions } from './nats';
import { publishEvent } from '../../platform/nats/publisher';
import { publishToPerson } from '../../platform/nats/partition-publish';
import { ensureStreams, openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { StateStore } from '../../platform/stores/state-store';
import { emptyState } from '../../engine/state/behavior-state';
import { IDENTITY_BUCKET, KvIdentityStore } from '../../engine/identity/identity-store';
import { EVENTS_STREAM, RAW_STREAM } from '../../engine/events/subjects';
import { eraseKey, type OpenBucket, type PrivacyContext } from '../../engine/privacy/privacy-context';
import { stateKey } from '../../platform/stores/state-store';

const EMAIL = 'ann.secret-4711@example.com';
const PHONE = '+4915112345678';
const PERSON = 'person-ann-4711';

/** Every file under `dir`, read as bytes: a plain search such as `grep -r` would do. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [readFileSync(path)];
  });
}

/** Which of the needles (and their base64url forms, as KV keys encode identifiers) the store holds. */
function foundInStore(dir: string, needles: string[]): string[] {
  const files = filesUnder(dir);
  return needles.flatMap((needle) => [needle, Buffer.from(needle).toString('base64url')]).filter((needle) => files.some((bytes) => bytes.includes(needle)));
}

async function writePerson(options: NatsServerOptions): Promise<{ storeDir: string; found: string[] }> {
  const server = await startNats(options);
  try {
    const nc = await connect({ servers: server.url });
    await ensureStreams(nc, { partitions: 4, duplicateWindowMs: 60_000 });
    const js = jetstream(nc);
    const identify = { type: 'identify' as const, userId: PERSON, traits: { email: EMAIL, phone: PHONE }, context: {}, timestamp: '2026-12-01T10:00:00.000Z', messageId: 'm-identify' };
    await publishEvent(js, identify);
    await publishToPerson(js, 4, PERSON, identify);
    const users = await openBucket(nc, USERS_BUCKET);
    await new StateStore(users).save({ ...emptyState(PERSON), traits: { email: EMAIL, phone: PHONE } }, 0);
    const graph = new KvIdentityStore(await openBucket(nc, IDENTITY_BUCKET));
    await graph.putIdentifier({ type: 'email', value: EMAIL }, PERSON, 0);
    await graph.putIdentifier({ type: 'phone', value: PHONE }, PERSON, 0);
    // What the engine reads back is the clear text: encryption is the server's business only.
    expect((await users.get(stateKey(PERSON)))?.string()).toContain(EMAIL);
    await nc.close();
  } finally {
    await server.stop(); // flushes every block to disk before the search
  }
  return { storeDir: server.storeDir, found: foundInStore(server.storeDir, [EMAIL, PHONE]) };
}

describe('JetStream encryption at rest', () => {
  it('keeps the email and phone out of the store files, which hold them without encryption', async () => {
    const plain = await writePerson({});
    expect(plain.found).toEqual(expect.arrayContaining([EMAIL, PHONE, Buffer.from(EMAIL).toString('base64url')]));
    const encrypted = await writePerson({ encryption: { cipher: 'chachapoly', key: 'test-key-0123456789abcdef0123456789' } });
    expect(encrypted.found).toEqual([]);
  }, 40_000);

  it('reopens the encrypted store with its key, and erasing a key there leaves nothing to read', async () => {
    const encryption = { cipher: 'aes' as const, key: 'test-key-aes-0123456789abcdef01234' };
    const first = await startNats({ encryption });
    let nc = await connect({ servers: first.url });
    await ensureStreams(nc, { partitions: 4, duplicateWindowMs: 60_000 });
    await publishEvent(jetstream(nc), { type: 'identify', userId: PERSON, traits: { email: EMAIL }, context: {}, timestamp: '2026-12-01T10:00:00.000Z', messageId: 'm-1' });
    await new StateStore(await openBucket(nc, USERS_BUCKET)).save({ ...emptyState(PERSON), traits: { email: EMAIL } }, 0);
    await nc.close();
    await first.stop();

    const again = await startNats({ storeDir: first.storeDir, encryption });
    try {
      nc = await connect({ servers: again.url });
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info(RAW_STREAM)).state.messages).toBe(1);
      const users: OpenBucket = { name: USERS_BUCKET, kv: await new Kvm(nc).open(USERS_BUCKET) };
      expect((await users.kv.get(stateKey(PERSON)))?.string()).toContain(EMAIL);
      // Erase purges the key's subject (engine/privacy): the same call works on an encrypted store.
      await eraseKey({ jsm } as PrivacyContext, users, stateKey(PERSON));
      expect(await users.kv.get(stateKey(PERSON))).toBeNull();
      expect((await jsm.streams.info(EVENTS_STREAM)).state.messages).toBe(0);
      await nc.close();
    } finally {
      await again.stop();
    }
  }, 40_000);
});
