/**
 * Typed delivery errors: the taxonomy every connector reports in. Connectors throw these; the activity
 * layer maps them onto Temporal retry semantics once (switch over `kind`, see `DeliveryFailure`):
 * non_retryable -> non-retryable failure, retry_after -> retry with the provider's delay, transient ->
 * retry with backoff, outcome_unknown -> recorded `unknown`, never retried. Anything else a connector
 * throws is treated as a transient, retryable failure.
 */
export class DeliveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The provider refused the message for a reason a retry cannot fix (invalid number, 4xx, bad address). */
export class NonRetryableError extends DeliveryError {
  readonly kind = 'non_retryable';
  constructor(
    message: string,
    /** Short machine-readable reason, e.g. `invalid_phone`, `rejected_address`, `http_400`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The provider asked us to slow down (HTTP 429 / Retry-After). */
export class RetryAfterError extends DeliveryError {
  readonly kind = 'retry_after';
  constructor(
    message: string,
    /** How long to wait before the next attempt, in milliseconds. */
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A transient provider failure (HTTP 5xx, SMTP 4xx, refused connection): not delivered; retry with backoff. */
export class TransientDeliveryError extends DeliveryError {
  readonly kind = 'transient';
}

/**
 * The request may have reached the provider but its answer was lost (a timeout or dropped connection
 * after the message was handed over). Retrying could deliver it twice, so the send is recorded as
 * `unknown` and never retried automatically.
 */
export class OutcomeUnknownError extends DeliveryError {
  readonly kind = 'outcome_unknown';
}

/** Every delivery error a connector may throw; `kind` tells them apart for an exhaustive switch. */
export type DeliveryFailure = NonRetryableError | RetryAfterError | TransientDeliveryError | OutcomeUnknownError;
export type DeliveryFailureKind = DeliveryFailure['kind'];

/** The typed delivery error `error` is, or null for anything else (which callers treat as transient). */
export function asDeliveryFailure(error: unknown): DeliveryFailure | null {
  const typed = error instanceof NonRetryableError || error instanceof RetryAfterError || error instanceof TransientDeliveryError || error instanceof OutcomeUnknownError;
  return typed ? error : null;
}

/** A connector's configuration is invalid; raised when the connector is built, never at send time. */
export class ConnectorConfigError extends Error {
  constructor(connector: string, details: string) {
    super(`invalid configuration for connector "${connector}": ${details}`);
    this.name = 'ConnectorConfigError';
  }
}
