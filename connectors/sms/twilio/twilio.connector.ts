/** Sends SMS through the official Twilio SDK, mapping Twilio API errors onto the typed delivery errors. */
import twilio from 'twilio';
import type { SmsConnector, SmsMessage, SmsSendResult } from '../../channels';
import { parseConfig, type Env } from '../../config';
import { DeliveryError, NonRetryableError, OutcomeUnknownError, TransientDeliveryError } from '../../errors';
import { toE164 } from './phone-number';
import { fromEnv, twilioConfigSchema, type TwilioConfig, type TwilioConfigInput } from './twilio.config';
import { TwilioHttpClient } from './twilio.http-client';

export class TwilioSmsConnector implements SmsConnector {
  readonly channel = 'sms' as const;
  readonly provider = 'twilio';
  private readonly config: TwilioConfig;
  private readonly client: twilio.Twilio;

  constructor(config: TwilioConfigInput) {
    this.config = parseConfig('sms/twilio', twilioConfigSchema, config);
    this.client = twilio(this.config.accountSid, this.config.authToken, {
      httpClient: new TwilioHttpClient(this.config.apiBaseUrl),
    });
  }

  static async fromEnv(env: Env): Promise<TwilioSmsConnector> {
    return new TwilioSmsConnector(fromEnv(env));
  }

  /**
   * Twilio's Messages API takes no idempotency key, so `idempotencyKey` cannot be passed on; duplicate
   * sends are prevented upstream by the send ledger.
   */
  async send(message: SmsMessage): Promise<SmsSendResult> {
    const to = toE164(message.to, this.config.defaultCountry);
    try {
      const sent = await this.client.messages.create({ to, from: this.config.from, body: message.body });
      return { providerMessageId: sent.sid, to };
    } catch (error) {
      throw toDeliveryError(error);
    }
  }
}

/** What Twilio's RestException (and RFC 9457 TwilioServiceException) carry. */
interface TwilioApiError {
  status: number;
  code?: number;
  message: string;
}

function isTwilioApiError(error: unknown): error is TwilioApiError {
  return error instanceof Error && typeof (error as Partial<TwilioApiError>).status === 'number';
}

/** Network errors that mean the request never reached Twilio. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

/** 4xx means Twilio refused this message for good; 5xx and failures to connect may pass on retry. */
function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error; // a RetryAfterError raised by TwilioHttpClient
  if (isTwilioApiError(error) && error.status >= 400 && error.status < 500) {
    const reason = error.code !== undefined ? `twilio_${error.code}` : `twilio_http_${error.status}`;
    return new NonRetryableError(`Twilio refused the message (HTTP ${error.status}): ${error.message}`, reason, {
      cause: error,
    });
  }
  const detail = isTwilioApiError(error) ? `HTTP ${error.status}: ${error.message}` : String((error as Error)?.message ?? error);
  // No HTTP answer and not a failure to connect: the request may have reached Twilio.
  const code = (error as { code?: string })?.code;
  if (!isTwilioApiError(error) && !NOT_CONNECTED.has(code ?? '')) {
    return new OutcomeUnknownError(`Twilio did not answer a request it may have received: ${detail}`, { cause: error });
  }
  return new TransientDeliveryError(`Twilio request failed: ${detail}`, { cause: error });
}
