/**
 * Runs a consume loop for as long as the process runs: a loop that ends or fails while nobody asked it
 * to stop (its consumer was deleted, a fetch failed for good) is logged and started again after a
 * pause, so an engine never sits idle while its partitions fill up.
 */
import type { Logger } from '../platform/logger';

export async function keepConsuming(name: string, run: () => Promise<void>, stop: AbortSignal, log: Logger, pauseMs = 1000): Promise<void> {
  while (!stop.aborted) {
    try {
      await run();
      if (!stop.aborted) log.warn({ loop: name }, 'consume loop ended; starting it again');
    } catch (error) {
      if (!stop.aborted) log.error({ loop: name, err: (error as Error).message }, 'consume loop failed; starting it again');
    }
    if (!stop.aborted) await pause(pauseMs, stop);
  }
}

/** Waits `ms`, or less when `stop` aborts meanwhile. */
function pause(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    }
  });
}
