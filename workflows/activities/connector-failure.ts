/**
 * The one mapping from what a connector throws to what the activity does: the Temporal failure it
 * throws (type, retryable or not, retry delay) and what becomes of the send ledger's claim. Sends and
 * coupons both go through it, so every error kind means the same on every channel.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { asDeliveryFailure } from '../../connectors/errors';
import { assertNever } from '../../shared/assert-never';

/** What the send ledger does with a claim whose provider call failed (coupons have no claim). */
export type ClaimAfterFailure =
  /** Settled `failed` with the reason: a retry (or a replay) reports the same failure, never re-sends. */
  | { kind: 'failed'; reason: string }
  /** Given back: nothing was delivered, the retry claims and sends again. */
  | { kind: 'released' }
  /** Settled `unknown`: the provider may hold the message; never re-sent, counted for reconciliation. */
  | { kind: 'unknown' }
  /** Left `pending`: an error nobody typed may have come after the provider took the message, so a retry reports outcome_unknown. */
  | { kind: 'pending' };

export interface ConnectorFailure {
  failure: ApplicationFailure;
  claim: ClaimAfterFailure;
}

export function connectorFailure(error: unknown): ConnectorFailure {
  const typed = asDeliveryFailure(error);
  // Untyped: what the Temporal worker would make of it (retryable, named by its class), made explicit.
  if (!typed) return { failure: ApplicationFailure.fromError(error), claim: { kind: 'pending' } };
  switch (typed.kind) {
    case 'non_retryable':
      return { failure: ApplicationFailure.create({ message: typed.message, type: typed.reason, nonRetryable: true, cause: typed }), claim: { kind: 'failed', reason: typed.reason } };
    case 'retry_after':
      return { failure: ApplicationFailure.create({ message: typed.message, type: 'rate_limited', nextRetryDelay: typed.retryAfterMs, cause: typed }), claim: { kind: 'released' } };
    case 'transient':
      return { failure: ApplicationFailure.create({ message: typed.message, type: 'provider_unavailable', cause: typed }), claim: { kind: 'released' } };
    case 'outcome_unknown':
      return { failure: ApplicationFailure.create({ message: `${typed.message}; not re-sending`, type: 'outcome_unknown', nonRetryable: true, cause: typed }), claim: { kind: 'unknown' } };
    default:
      return assertNever(typed, 'delivery error kind');
  }
}
