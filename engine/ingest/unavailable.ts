/**
 * Retrying work that failed because NATS or Temporal is unavailable: the partition waits (its order is
 * kept) with backoff for as long as it takes, and gives up only when asked to stop. Anything else is
 * not retried here: it is either a fence (another owner) or a bug, and ends the loop.
 */
import type { Logger } from '../../platform/logger';
import { TemporalUnavailableError } from '../../platform/temporal/journey-starter';

/** Errors that mean "NATS or Temporal is unavailable right now" whatever raised them. */
export const looksLikeConnectionTrouble = (error: unknown) => /timeout|disconnect|connection|no responders/i.test(String((error as Error)?.message));

export const isUnavailable = (error: unknown) => error instanceof TemporalUnavailableError || looksLikeConnectionTrouble(error);

export class StoppedError extends Error {
  constructor() {
    super('stopped while waiting for NATS or Temporal');
    this.name = 'StoppedError';
  }
}

export async function retryWhileUnavailable<T>(stop: AbortSignal, log: Logger, fields: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      if (stop.aborted) throw new StoppedError();
      log.warn({ ...fields, attempt, err: (error as Error).message }, 'NATS or Temporal unavailable; retrying the batch');
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** Math.min(attempt, 5))));
    }
  }
}
