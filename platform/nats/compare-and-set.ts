/** NATS KV's answer when a compare-and-set write lost: the key moved on (update) or already exists (create). */
export const isCasFailure = (error: unknown) => /wrong last sequence|key exists/i.test(String((error as Error)?.message));
