/** What every channel suite needs from a provider's test setup, and small assertion helpers. */
import { expect } from 'vitest';

/**
 * Failures a fake can be told to produce for the next delivery, in provider-neutral terms:
 * - `permanent`: the provider refuses this message for good (HTTP 4xx, SMTP 5xx);
 * - `transient`: the provider fails in a way a retry may fix (HTTP 5xx, SMTP 4xx);
 * - `rate_limited`: the provider asks to retry after 2 seconds (HTTP 429 + `Retry-After: 2`).
 */
export type InjectedFailure = 'permanent' | 'transient' | 'rate_limited';

/** The seconds a `rate_limited` failure asks for, so suites can check they are honoured. */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 2;

export interface ChannelHarness<Connector, Received> {
  connector: Connector;
  /** What the local fake accepted, oldest first. */
  received(): Received[];
  failNext(failure: InjectedFailure): void;
  /** Stops the fake and closes the connector. */
  stop(): Promise<void>;
}

/** Resolves with what `promise` rejected with, failing the test if it resolved instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await promise.then(
    (value) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) expect.fail(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}
