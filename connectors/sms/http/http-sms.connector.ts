/**
 * Sends SMS through a generic HTTP SMS API (the contract is in http-sms.config.ts) with fetch. Its
 * answers are read by the shared HTTP outcome rules (connectors/http-outcome.ts); the idempotency key
 * goes out as the Idempotency-Key header, so the API itself can recognise a repeated send.
 */
import type { SmsConnector, SmsMessage, SmsSendResult } from '../../channels';
import { parseConfig, type Env } from '../../config';
import { OutcomeUnknownError } from '../../errors';
import { deliveryErrorForNetworkFailure, deliveryErrorForStatus } from '../../http-outcome';
import { smsRecipient } from '../recipient';
import { fromEnv, httpSmsConfigSchema, type HttpSmsConfig, type HttpSmsConfigInput } from './http-sms.config';

export class HttpSmsConnector implements SmsConnector {
  readonly channel = 'sms' as const;
  readonly provider = 'http';
  private readonly config: HttpSmsConfig;

  constructor(config: HttpSmsConfigInput) {
    this.config = parseConfig('sms/http', httpSmsConfigSchema, config);
  }

  static async fromEnv(env: Env): Promise<HttpSmsConnector> {
    return new HttpSmsConnector(fromEnv(env));
  }

  async send(message: SmsMessage): Promise<SmsSendResult> {
    const to = smsRecipient(message.to, this.config.defaultCountry);
    const what = `SMS API POST ${new URL(this.config.apiUrl).origin}`;
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await fetch(this.config.apiUrl, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${this.config.token}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': message.idempotencyKey,
        },
        // `reference`: echoed in the API's status reports, so a report names its message (SmsMessage.deliveryRef).
        body: JSON.stringify({ to, from: this.config.from, body: message.body, ...(message.deliveryRef ? { reference: message.deliveryRef } : {}) }),
        // A redirect would re-send the message to a host nobody configured: it is a refusal instead.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      ({ status } = response);
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (error) {
      throw deliveryErrorForNetworkFailure(`${what} (timeout ${this.config.timeoutMs} ms)`, error);
    }
    const answer = parseJson(text);
    const error = deliveryErrorForStatus(what, { status, providerMessage: errorMessageOf(answer) ?? excerpt(text), retryAfter });
    if (error) throw error;
    const id = (answer as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || id === '') {
      // It was accepted (2xx), so sending again could deliver twice; without an id no report can find it.
      throw new OutcomeUnknownError(`${what} accepted the message (HTTP ${status}) but answered no "id": ${excerpt(text)}`);
    }
    return { providerMessageId: id, to };
  }
}

/** `{"error": {"message": "…"}}` or `{"message": "…"}`. */
function errorMessageOf(answer: unknown): string | undefined {
  const { error, message } = (answer ?? {}) as { error?: { message?: unknown }; message?: unknown };
  const text = typeof error?.message === 'string' ? error.message : message;
  return typeof text === 'string' && text !== '' ? text : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const excerpt = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);
