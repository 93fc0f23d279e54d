/**
 * The per-channel interfaces every connector implements. A journey step never talks to a provider
 * directly: the activity layer renders the message, then hands it to the connector of its channel.
 * Every message carries an idempotency key ("<journeyId>/<stepId>") that connectors pass on to the
 * provider wherever the provider supports one (Message-ID header, Idempotency-Key header, …).
 */

export interface SendResult {
  /** The provider's id for the accepted message (SMTP Message-ID, Twilio SID, HTTP response id…). */
  providerMessageId: string;
}

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra headers, e.g. List-Unsubscribe. */
  headers?: Record<string, string>;
  idempotencyKey: string;
}

export interface EmailConnector {
  readonly channel: 'email';
  readonly provider: string;
  send(message: EmailMessage): Promise<SendResult>;
  close?(): Promise<void>;
}

export interface SmsMessage {
  /** Recipient; connectors validate and normalise it to E.164 and reject invalid numbers as non-retryable. */
  to: string;
  body: string;
  idempotencyKey: string;
  /**
   * An opaque reference (nudge's signed message ref) the provider's delivery reports must carry back, so
   * a report names the message's person without a lookup table. Twilio: the `ref` query parameter of the
   * StatusCallback URL (DELIVERY_REF_PARAM in connectors/inbound.ts). Absent: reports carry none.
   */
  deliveryRef?: string;
}

export interface SmsSendResult extends SendResult {
  /** The recipient as sent to the provider (E.164): what journey logs and `nudge simulate` show. */
  to: string;
}

export interface SmsConnector {
  readonly channel: 'sms';
  readonly provider: string;
  send(message: SmsMessage): Promise<SmsSendResult>;
  close?(): Promise<void>;
}

export interface WebhookRequest {
  url: string;
  payload: unknown;
  idempotencyKey: string;
}

export interface WebhookResult extends SendResult {
  status: number;
}

export interface WebhookConnector {
  readonly channel: 'webhook';
  readonly provider: string;
  send(request: WebhookRequest): Promise<WebhookResult>;
  close?(): Promise<void>;
}

export interface CouponRequest {
  /** The journey the coupon belongs to; with stepId it makes issuing idempotent. */
  journeyId: string;
  stepId: string;
  /** Name of a code pool; absent means "generate a code". */
  pool?: string;
  /** Prefix for generated codes, e.g. "SAVE10-". */
  prefix?: string;
}

export interface CouponResult {
  code: string;
  /** Where the code came from: the pool name or "generated". */
  source: string;
}

export interface CouponConnector {
  readonly channel: 'coupon';
  readonly provider: string;
  /** Issues one code per (journeyId, stepId): calling it again for the same pair returns the same code. */
  issue(request: CouponRequest): Promise<CouponResult>;
  close?(): Promise<void>;
}

export type Connector = EmailConnector | SmsConnector | WebhookConnector | CouponConnector;
export type Channel = Connector['channel'];

/** The set of connectors a worker runs with: one per channel. */
export interface ConnectorSet {
  email: EmailConnector;
  sms: SmsConnector;
  webhook: WebhookConnector;
  coupon: CouponConnector;
}
