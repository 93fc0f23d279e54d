/**
 * Many KV records in a few round trips, for the resolver's warm-up of a batch: JetStream's direct "last
 * message for each of these subjects" (multi_last, nats-server ≥ 2.11, allow_direct on the bucket, as
 * nats.js creates buckets) answers up to 256 keys per request, where one get per key costs a round trip
 * each (1.7 per event with 10k people, the largest part of the resolver's reads). Without direct gets,
 * or for a chunk whose request fails, the keys are read one by one instead (at most 64 in flight:
 * beyond a few dozen nats-server answers no faster). A record that does not parse is left out of the
 * answer, so the plan's own read of it fails for that event alone (dead-lettered) and not for the batch.
 */
import { Bucket, type KV } from '@nats-io/kv';
import type { Versioned } from './identity-store';
import { inParallel } from './in-parallel';

/** The server answers at most this many subjects per request. */
const SUBJECTS_PER_REQUEST = 256;
const READS_IN_FLIGHT = 64;

type Records = Map<string, Versioned<unknown> | null>;

export async function readManyKeys(kv: KV, keys: readonly string[], readOne: (key: string) => Promise<Versioned<unknown> | null>): Promise<Records> {
  const records: Records = new Map();
  const unique = [...new Set(keys)];
  const direct = directReads(kv);
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += SUBJECTS_PER_REQUEST) chunks.push(unique.slice(i, i + SUBJECTS_PER_REQUEST));
  const left: string[] = [];
  await Promise.all(chunks.map(async (chunk) => {
    if (!direct || !(await direct(chunk, records).then(() => true, () => false))) left.push(...chunk);
  }));
  await inParallel(left, READS_IN_FLIGHT, async (key) => records.set(key, await readOne(key)));
  return records;
}

/** A reader of many keys in one request, or null when this bucket cannot answer one (a server before 2.11 rejects it: read one by one). */
function directReads(kv: KV): ((keys: string[], into: Records) => Promise<void>) | null {
  if (!(kv instanceof Bucket) || !kv.direct || kv.prefix !== `$KV.${kv.bucket}`) return null; // a mirror's keys live elsewhere
  return async (keys, into) => {
    const bySubject = new Map(keys.map((key) => [kv.subjectForKey(key), key]));
    const answered = new Map<string, Versioned<unknown> | null | 'unparsable'>();
    for await (const msg of await kv.jsm.direct.getLastMessagesFor(kv.bucketName(), { multi_last: [...bySubject.keys()], batch: keys.length })) {
      const key = bySubject.get(msg.subject);
      if (key === undefined) continue;
      const operation = msg.header?.get('KV-Operation');
      if (operation === 'DEL' || operation === 'PURGE') answered.set(key, null);
      else {
        try {
          answered.set(key, { value: msg.json(), revision: msg.seq });
        } catch {
          answered.set(key, 'unparsable');
        }
      }
    }
    // The iterator ended without an error, so the server answered for the whole chunk: a key it did
    // not return has no record.
    for (const key of keys) {
      const record = answered.get(key);
      if (record !== 'unparsable') into.set(key, record ?? null);
    }
  };
}
