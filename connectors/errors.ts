/**
 * Typed delivery errors. Connectors throw these; the activity layer maps them onto Temporal retry
 * semantics (NonRetryableError -> non-retryable ApplicationFailure, RetryAfterError -> retry with the
 * provider's delay). Anything else a connector throws is treated as a transient, retryable failure.
 */
export class DeliveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The provider refused the message for a reason a retry cannot fix (invalid number, 4xx, bad address). */
export class NonRetryableError extends DeliveryError {
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
  constructor(
    message: string,
    /** How long to wait before the next attempt, in milliseconds. */
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A transient provider failure (5xx, refused connection, 4xx reply): not delivered; retry with backoff. */
export class TransientDeliveryError extends DeliveryError {}

/**
 * The request may have reached the provider but its answer was lost (a timeout or dropped connection
 * after the message was handed over). Retrying could deliver it twice, so the send is recorded as
 * `unknown` and never retried automatically.
 */
export class OutcomeUnknownError extends DeliveryError {}

/** A connector's configuration is invalid; raised when the connector is built, never at send time. */
export class ConnectorConfigError extends Error {
  constructor(connector: string, details: string) {
    super(`invalid configuration for connector "${connector}": ${details}`);
    this.name = 'ConnectorConfigError';
  }
}
