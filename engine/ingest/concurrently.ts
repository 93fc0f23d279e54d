/** Runs `work` over `items` with at most `limit` in flight, starting them in order (so publishes keep their order on the wire). */
export async function concurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  // The one-at-a-time driver (simulator) commits batches of one: no lanes to set up.
  if (items.length <= 1 || limit <= 1) {
    for (const item of items) await work(item);
    return;
  }
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
}
