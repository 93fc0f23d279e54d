/**
 * Many people's states in one round trip: JetStream's direct "last message for each of these subjects"
 * (multi_last) on the KV bucket's stream, instead of one KV get per person. A batch of a partition
 * reads every person it does not have cached at once, so a cold cache costs a few requests per batch,
 * not one per event. Needs allow_direct on the bucket (nats.js sets it when it creates a bucket).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { emptyState } from '../../engine/state/behavior-state';
import { upgradeState } from '../../engine/state/state-version';
import type { VersionedState } from './state-store';

/** The server answers at most this many subjects per request. */
const SUBJECTS_PER_REQUEST = 256;

export async function loadManyStates(jsm: JetStreamManager, bucket: string, keyOf: (userKey: string) => string, userKeys: readonly string[]): Promise<Map<string, VersionedState>> {
  const stream = `KV_${bucket}`;
  const prefix = `$KV.${bucket}.`;
  const bySubject = new Map(userKeys.map((userKey) => [prefix + keyOf(userKey), userKey]));
  const states = new Map<string, VersionedState>();
  const subjects = [...bySubject.keys()];
  const chunks: string[][] = [];
  for (let i = 0; i < subjects.length; i += SUBJECTS_PER_REQUEST) chunks.push(subjects.slice(i, i + SUBJECTS_PER_REQUEST));
  await Promise.all(
    chunks.map(async (chunk) => {
      for await (const msg of await jsm.direct.getLastMessagesFor(stream, { multi_last: chunk, batch: chunk.length })) {
        const userKey = bySubject.get(msg.subject);
        if (userKey === undefined) continue;
        const operation = msg.header?.get('KV-Operation');
        // A deleted or purged key (`nudge erase`) reads as a new person at the delete's revision.
        states.set(userKey, operation === 'DEL' || operation === 'PURGE' ? { state: emptyState(userKey), revision: msg.seq } : { state: upgradeState(msg.json<unknown>(), userKey), revision: msg.seq });
      }
    }),
  );
  for (const userKey of userKeys) if (!states.has(userKey)) states.set(userKey, { state: emptyState(userKey), revision: 0 });
  return states;
}
