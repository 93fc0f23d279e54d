/**
 * Runs `work` on every item, at most `limit` at a time; a failed item is skipped. For reads ahead of
 * need only (a batch's warm-up): what fails here is read again, and fails properly, when it is needed.
 */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!).catch(() => undefined);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
