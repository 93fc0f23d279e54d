/**
 * The HTTP client handed to the Twilio SDK. It does two things the stock RequestClient cannot:
 * - sends requests to a configured base URL instead of *.twilio.com (egress proxies, the local fake);
 * - keeps the Retry-After header of a 429, which the SDK's RestException drops.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import { parseRetryAfterMs } from '../../retry-after';
import { RetryAfterError } from '../../errors';

export class TwilioHttpClient extends twilio.RequestClient {
  constructor(private readonly apiBaseUrl?: string) {
    super({ autoRetry: false });
  }

  override async request<TData>(options: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const uri = this.apiBaseUrl ? rewriteTwilioUri(options.uri, this.apiBaseUrl) : options.uri;
    const response = await super.request<TData>({ ...options, uri });
    if (response.statusCode === 429) {
      const header = (response.headers as Record<string, string | undefined> | undefined)?.['retry-after'];
      throw new RetryAfterError(`Twilio rate limit (HTTP 429): ${describeBody(response.body)}`, parseRetryAfterMs(header));
    }
    return response;
  }
}

/** `https://api.twilio.com/2010-04-01/…` -> `<base>/2010-04-01/…`; URIs of other hosts are left alone. */
export function rewriteTwilioUri(uri: string, apiBaseUrl: string): string {
  const original = new URL(uri);
  const isTwilioHost = original.hostname === 'twilio.com' || original.hostname.endsWith('.twilio.com');
  if (!isTwilioHost) return uri;
  const base = new URL(apiBaseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${basePath}${original.pathname}${original.search}`;
}

function describeBody(body: unknown): string {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : 'too many requests';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
