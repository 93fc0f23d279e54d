/**
 * The HTTP client handed to the Twilio SDK. It does what the stock RequestClient cannot:
 * - sends requests to a configured base URL instead of *.twilio.com (egress proxies, the local fake);
 * - reads every answer with the shared HTTP outcome rules (connectors/http-outcome.ts), keeping the
 *   Retry-After of a 429 (which the SDK's RestException drops) and naming refusals `twilio_<code>`;
 * - tells a request that never left (transient) from one whose answer was lost (outcome unknown).
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import { deliveryErrorForNetworkFailure, deliveryErrorForStatus } from '../../http-outcome';

export class TwilioHttpClient extends twilio.RequestClient {
  constructor(private readonly apiBaseUrl?: string) {
    super({ autoRetry: false });
  }

  override async request<TData>(options: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const uri = this.apiBaseUrl ? rewriteTwilioUri(options.uri, this.apiBaseUrl) : options.uri;
    let response: Response<TData>;
    try {
      response = await super.request<TData>({ ...options, uri });
    } catch (error) {
      throw deliveryErrorForNetworkFailure('Twilio', error);
    }
    const headers = response.headers as Record<string, string | undefined> | undefined;
    const refusal = twilioRefusalOf(response.body);
    const error = deliveryErrorForStatus('Twilio', {
      status: response.statusCode,
      providerMessage: refusal.message ?? '',
      retryAfter: headers?.['retry-after'],
      reason: refusal.code !== undefined ? `twilio_${refusal.code}` : `twilio_http_${response.statusCode}`,
    });
    if (error) throw error;
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

/** Twilio's error JSON: `{ code, message, more_info, status }`. */
function twilioRefusalOf(body: unknown): { code?: number; message?: string } {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const { code, message } = (parsed ?? {}) as { code?: unknown; message?: unknown };
  return { code: typeof code === 'number' ? code : undefined, message: typeof message === 'string' ? message : undefined };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
