import type { KV } from '@nats-io/kv';

/** NATS KV's answer when a compare-and-set write lost: the key moved on (update) or already exists (create). */
export const isCasFailure = (error: unknown) => /wrong last sequence|key exists/i.test(String((error as Error)?.message));

/**
 * Writes `data` under `key` if its revision is still `revision` (0: the key has none, so it is created);
 * resolves with the new revision. A lost race throws what `conflict()` makes (the caller's typed error:
 * another engine owns it now), anything else as it came.
 */
export async function writeAtRevision(kv: KV, key: string, data: string, revision: number, conflict: () => Error): Promise<number> {
  try {
    return revision === 0 ? await kv.create(key, data) : await kv.update(key, data, revision);
  } catch (error) {
    if (isCasFailure(error)) throw conflict();
    throw error;
  }
}
