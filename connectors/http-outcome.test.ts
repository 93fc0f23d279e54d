import { describe, expect, it } from 'vitest';
import { NonRetryableError, OutcomeUnknownError, RetryAfterError, TransientDeliveryError } from './errors';
import { deliveryErrorForNetworkFailure, deliveryErrorForStatus } from './http-outcome';

describe('deliveryErrorForStatus', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([200, 201, 202, 204, 299])('HTTP %i is a success', (status) => {
    expect(deliveryErrorForStatus('p', { status, providerMessage: '' })).toBeNull();
  });

  it('429 waits as long as Retry-After says, in seconds or as an HTTP date', () => {
    const seconds = deliveryErrorForStatus('p', { status: 429, providerMessage: 'slow down', retryAfter: '7' }, now);
    const date = deliveryErrorForStatus('p', { status: 429, providerMessage: '', retryAfter: 'Wed, 01 Jan 2025 00:00:30 GMT' }, now);
    const missing = deliveryErrorForStatus('p', { status: 429, providerMessage: '' }, now);

    expect(seconds).toBeInstanceOf(RetryAfterError);
    expect((seconds as RetryAfterError).retryAfterMs).toBe(7000);
    expect((date as RetryAfterError).retryAfterMs).toBe(30_000);
    expect((missing as RetryAfterError).retryAfterMs).toBe(1000);
  });

  it.each([500, 502, 503, 504])('HTTP %i is transient and keeps what the provider said', (status) => {
    const error = deliveryErrorForStatus('Acme SMS', { status, providerMessage: 'overloaded' });

    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error!.message).toBe(`Acme SMS answered HTTP ${status}: overloaded`);
    expect(error!.cause).toEqual({ status, providerMessage: 'overloaded' });
  });

  it.each([301, 302, 400, 401, 403, 404, 410, 422])('HTTP %i is a refusal named http_<status>', (status) => {
    const error = deliveryErrorForStatus('p', { status, providerMessage: 'no' });

    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as NonRetryableError).reason).toBe(`http_${status}`);
  });

  it("uses the provider's own reason when it has one", () => {
    const error = deliveryErrorForStatus('Twilio', { status: 400, providerMessage: 'unsubscribed recipient', reason: 'twilio_21610' });

    expect((error as NonRetryableError).reason).toBe('twilio_21610');
    expect(error!.message).toContain('unsubscribed recipient');
  });
});

describe('deliveryErrorForNetworkFailure', () => {
  const socketError = (code: string) => Object.assign(new Error(`socket: ${code}`), { code });
  const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])(
    'a connection that was never made (%s) is transient',
    (code) => {
      expect(deliveryErrorForNetworkFailure('p', fetchFailed(socketError(code)))).toBeInstanceOf(TransientDeliveryError);
      expect(deliveryErrorForNetworkFailure('p', socketError(code))).toBeInstanceOf(TransientDeliveryError);
    },
  );

  it('finds the code inside an aggregate of connection attempts', () => {
    const aggregate = Object.assign(new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]), {});
    expect(deliveryErrorForNetworkFailure('p', fetchFailed(aggregate))).toBeInstanceOf(TransientDeliveryError);
  });

  it.each([
    ['a reset', fetchFailed(socketError('ECONNRESET'))],
    ['a hang-up', fetchFailed(socketError('UND_ERR_SOCKET'))],
    ['a timeout', Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })],
    ['an axios timeout', socketError('ECONNABORTED')],
    ['an error without a code', new Error('boom')],
  ])('%s after the request went out is outcome-unknown', (_what, error) => {
    const mapped = deliveryErrorForNetworkFailure('Acme SMS', error);

    expect(mapped).toBeInstanceOf(OutcomeUnknownError);
    expect(mapped.message).toMatch(/^Acme SMS did not answer a request it may have received/);
    expect(mapped.cause).toBe(error);
  });

  it('keeps a typed delivery error thrown on the way', () => {
    const typed = new RetryAfterError('limited', 5000);
    expect(deliveryErrorForNetworkFailure('p', typed)).toBe(typed);
  });
});
