/** POSTs signed JSON to a URL with fetch, mapping HTTP outcomes onto the typed delivery errors. */
import type { WebhookConnector, WebhookRequest, WebhookResult } from '../../channels';
import { parseConfig, type Env } from '../../config';
import { NonRetryableError, RetryAfterError, TransientDeliveryError } from '../../errors';
import { parseRetryAfterMs } from '../../retry-after';
import { fromEnv, httpWebhookConfigSchema, type HttpWebhookConfig, type HttpWebhookConfigInput } from './http-webhook.config';
import { signWebhookPayload } from './http-webhook.signature';

export { verifyWebhookSignature } from './http-webhook.signature';

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
          'X-Nudge-Signature': signWebhookPayload(this.config.signingSecret, timestamp, body),
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (error) {
      const what = (error as Error).name === 'TimeoutError' ? `timed out after ${this.config.timeoutMs} ms` : (error as Error).message;
      throw new TransientDeliveryError(`webhook POST ${url.origin} failed: ${what}`, { cause: error });
    }

    if (response.ok) {
      await response.body?.cancel();
      const providerMessageId = response.headers.get('x-request-id') ?? request.idempotencyKey;
      return { status: response.status, providerMessageId };
    }
    const detail = `webhook POST ${url.origin} answered HTTP ${response.status}: ${await excerpt(response)}`;
    if (response.status === 429) throw new RetryAfterError(detail, parseRetryAfterMs(response.headers.get('retry-after')));
    // 3xx lands here too: following a redirect would re-send the signed payload to a host nobody configured.
    if (response.status < 500) throw new NonRetryableError(detail, `http_${response.status}`);
    throw new TransientDeliveryError(detail);
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
