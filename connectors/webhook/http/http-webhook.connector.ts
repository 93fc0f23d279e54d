/** POSTs signed JSON to a URL with fetch; its answer is read by the shared HTTP outcome rules (http-outcome.ts). */
import type { WebhookConnector, WebhookRequest, WebhookResult } from '../../channels';
import { parseConfig, type Env } from '../../config';
import { NonRetryableError } from '../../errors';
import { deliveryErrorForNetworkFailure, deliveryErrorForStatus } from '../../http-outcome';
import { fromEnv, httpWebhookConfigSchema, type HttpWebhookConfig, type HttpWebhookConfigInput } from './http-webhook.config';
import { signPayload } from '../../../shared/payload-signature';

export class HttpWebhookConnector implements WebhookConnector {
  readonly channel = 'webhook' as const;
  readonly provider = 'http';
  private readonly config: HttpWebhookConfig;

  constructor(config: HttpWebhookConfigInput) {
    this.config = parseConfig('webhook/http', httpWebhookConfigSchema, config);
  }

  static async fromEnv(env: Env): Promise<HttpWebhookConnector> {
    return new HttpWebhookConnector(fromEnv(env));
  }

  async send(request: WebhookRequest): Promise<WebhookResult> {
    const url = parseTargetUrl(request.url);
    const body = JSON.stringify(request.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        body,
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': request.idempotencyKey,
          'X-Nudge-Timestamp': String(timestamp),
          'X-Nudge-Signature': signPayload(this.config.signingSecret, timestamp, body),
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (error) {
      // A timeout (after timeoutMs) or a hang-up after the request went out: the receiver may have it.
      throw deliveryErrorForNetworkFailure(`webhook POST ${url.origin} (timeout ${this.config.timeoutMs} ms)`, error);
    }

    if (response.ok) {
      await response.body?.cancel();
      const providerMessageId = response.headers.get('x-request-id') ?? request.idempotencyKey;
      return { status: response.status, providerMessageId };
    }
    // 3xx is a refusal too (redirect: 'manual'): following it would re-send the signed payload elsewhere.
    const answer = { status: response.status, providerMessage: await excerpt(response), retryAfter: response.headers.get('retry-after') };
    throw deliveryErrorForStatus(`webhook POST ${url.origin}`, answer)!;
  }
}

/** A URL that cannot be POSTed to will never work, so it is not retried. */
function parseTargetUrl(raw: string): URL {
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new NonRetryableError(`not an http(s) URL: ${JSON.stringify(raw)}`, 'invalid_url');
  }
  return url;
}

async function excerpt(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || response.statusText;
}
