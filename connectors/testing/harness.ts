/** What every channel suite needs from a provider's test setup, and small assertion helpers. */
import { expect } from 'vitest';

/**
 * Failures a fake can be told to produce for the next delivery, in provider-neutral terms:
 * - `permanent`: the provider refuses this message for good (HTTP 4xx, SMTP 5xx);
 * - `transient`: the provider fails in a way a retry may fix (HTTP 5xx, SMTP 4xx);
 * - `rate_limited`: the provider asks to retry after 2 seconds (HTTP 429 + `Retry-After: 2`);
 * - `answer_lost`: the provider accepts the message, then its answer never arrives (it hangs up or
 *   goes quiet after reading the request), so the connector cannot know whether it was delivered.
 */
export type InjectedFailure = 'permanent' | 'transient' | 'rate_limited' | 'answer_lost';

/**
 * How a provider makes a retried send harmless:
 * - `forwarded`: the connector hands the idempotency key to the provider (a header, a Message-ID
 *   derived from it), so the provider or the receiver can recognise a repeat;
 * - `ledger_only`: the provider's API takes none (Twilio's Messages API); only the send ledger upstream
 *   stops a repeat, and the connector must not pretend otherwise.
 */
export type ProviderIdempotency = 'forwarded' | 'ledger_only';

/** The seconds a `rate_limited` failure asks for, so suites can check they are honoured. */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 2;

export interface ChannelHarness<Connector, Received> {
  connector: Connector;
  /** What the local fake accepted, oldest first. */
  received(): Received[];
  failNext(failure: InjectedFailure): void;
  idempotency: ProviderIdempotency;
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

/**
 * What the provider received that identifies a send (the Idempotency-Key header, a Message-ID derived
 * from the key), for three sends keyed A, A, B: a forwarding provider saw the same marker for the two
 * A's and another for B; a `ledger_only` provider saw none at all.
 */
export function expectIdempotency(idempotency: ProviderIdempotency, markers: (string | undefined)[]): void {
  expect(markers).toHaveLength(3);
  if (idempotency === 'ledger_only') {
    expect(markers).toEqual([undefined, undefined, undefined]);
    return;
  }
  const [first, repeat, other] = markers;
  expect(first).toEqual(expect.any(String));
  expect(repeat).toBe(first);
  expect(other).toEqual(expect.any(String));
  expect(other).not.toBe(first);
}
