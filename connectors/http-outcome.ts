/**
 * One reading of an HTTP provider's answer, shared by every HTTP connector (Twilio, the HTTP SMS API,
 * webhooks), so the same status means the same delivery error whichever provider answered:
 *   2xx              delivered (no error)
 *   429              RetryAfterError, waiting as long as Retry-After says (seconds or an HTTP date)
 *   5xx              TransientDeliveryError: nothing was accepted, a retry may pass
 *   other 3xx / 4xx  NonRetryableError with the provider's message; redirects are not followed because
 *                    that would re-send the message to a host nobody configured
 * and of a request that got no answer:
 *   never connected  TransientDeliveryError (refused, no such host, unreachable: nothing was sent)
 *   anything else    OutcomeUnknownError (timeout, reset, hang-up after the request went out: the
 *                    provider may hold the message, so it is not sent again)
 */
import { DeliveryError, NonRetryableError, OutcomeUnknownError, RetryAfterError, TransientDeliveryError } from './errors';
import { parseRetryAfterMs } from './retry-after';

export interface HttpAnswer {
  status: number;
  /** The provider's explanation (its error message or a body excerpt), quoted in the error. */
  providerMessage: string;
  /** The Retry-After header, if any. */
  retryAfter?: string | null;
  /** Machine-readable reason of a refusal; default `http_<status>` (Twilio: `twilio_<code>`). */
  reason?: string;
}

/**
 * The delivery error an HTTP answer means, or null when it is a success. `what` names the call in the
 * message, e.g. "Twilio" or "webhook POST https://example.com".
 */
export function deliveryErrorForStatus(what: string, answer: HttpAnswer, now: number = Date.now()): DeliveryError | null {
  const { status, providerMessage } = answer;
  if (status >= 200 && status < 300) return null;
  const message = `${what} answered HTTP ${status}: ${providerMessage || 'no explanation given'}`;
  const cause = { status, providerMessage };
  if (status === 429) return new RetryAfterError(message, parseRetryAfterMs(answer.retryAfter, now), { cause });
  if (status >= 500) return new TransientDeliveryError(message, { cause });
  return new NonRetryableError(message, answer.reason ?? `http_${status}`, { cause });
}

/** Error codes (Node, undici) that mean the connection was never made, so no byte of the request left. */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ERR_INVALID_URL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The delivery error a request that got no HTTP answer means. A typed delivery error thrown on the way
 * (e.g. by an SDK's HTTP client) is kept as it is.
 */
export function deliveryErrorForNetworkFailure(what: string, error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const codes = errorCodesOf(error);
  const detail = describe(error, codes);
  if (codes.some((code) => NEVER_CONNECTED.has(code))) {
    return new TransientDeliveryError(`${what} failed before the request was sent: ${detail}`, { cause: error });
  }
  return new OutcomeUnknownError(`${what} did not answer a request it may have received: ${detail}`, { cause: error });
}

/** `code`s along the cause chain (fetch wraps the socket error; happy eyeballs aggregates several). */
function errorCodesOf(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 5) return [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof code === 'string' ? [code] : [];
  const nested = Array.isArray(errors) ? errors.flatMap((inner) => errorCodesOf(inner, depth + 1)) : [];
  return [...own, ...errorCodesOf(cause, depth + 1), ...nested];
}

function describe(error: unknown, codes: string[]): string {
  if ((error as Error)?.name === 'TimeoutError') return `timed out (${(error as Error).message})`;
  const message = error instanceof Error ? error.message : String(error);
  const inner = (error as { cause?: unknown })?.cause;
  const innerMessage = inner instanceof Error && inner.message !== message ? `: ${inner.message}` : '';
  return `${message}${innerMessage}${codes.length ? ` [${[...new Set(codes)].join(', ')}]` : ''}`;
}
