/**
 * Sends SMS through the official Twilio SDK. Its HTTP client (twilio.http-client.ts) turns every
 * answer into the shared delivery errors, so nothing here reads Twilio's exceptions.
 */
import twilio from 'twilio';
import type { SmsConnector, SmsMessage, SmsSendResult } from '../../channels';
import { parseConfig, type Env } from '../../config';
import { deliveryErrorForNetworkFailure } from '../../http-outcome';
import { DELIVERY_REF_PARAM } from '../../inbound';
import { smsRecipient } from '../recipient';
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
    const to = smsRecipient(message.to, this.config.defaultCountry);
    try {
      const statusCallback = this.statusCallbackFor(message);
      const sent = await this.client.messages.create({ to, from: this.config.from, body: message.body, ...(statusCallback ? { statusCallback } : {}) });
      return { providerMessageId: sent.sid, to };
    } catch (error) {
      // A typed error from the HTTP client as it is; anything else the SDK throws came after the
      // request went out (e.g. reading a 2xx answer), so Twilio may have taken the message.
      throw deliveryErrorForNetworkFailure('Twilio', error);
    }
  }

  /** The StatusCallback of a message: the configured URL with the message's ref in the query (Twilio signs the whole URL back). */
  private statusCallbackFor(message: SmsMessage): string | undefined {
    if (!this.config.statusCallbackUrl) return undefined;
    if (!message.deliveryRef) return this.config.statusCallbackUrl;
    const url = new URL(this.config.statusCallbackUrl);
    url.searchParams.set(DELIVERY_REF_PARAM, message.deliveryRef);
    return url.toString();
  }
}
