/**
 * The per-channel inbound interface: what a provider tells nudge through webhooks (delivery reports,
 * replies). A provider that has webhooks offers routes; each route verifies a request (its signature)
 * and reads it into a provider-neutral notice. The inbound service (engine/inbound) serves the routes
 * of whichever provider is configured and acts on the notices; it never reads a provider's format.
 */

/** A webhook request as the inbound service hands it over: read, nothing parsed. */
export interface InboundRequest {
  method: string;
  /** Path and query as received, e.g. "/twilio/status?attempt=2". */
  url: string;
  /** The URL the provider called, NUDGE_PUBLIC_URL + `url`: what signatures such as Twilio's cover. */
  publicUrl: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw body (the inbound service refuses bodies over 64 KiB before reading them). */
  body: string;
  /** For time-stamped signatures. */
  now: Date;
}

/**
 * A provider's delivery report in the ledger's vocabulary (Twilio's MessageStatus words: queued, sending,
 * sent, delivered, undelivered, failed, read, …); providers with other words map theirs onto these.
 */
export interface DeliveryStatusNotice {
  kind: 'delivery_status';
  /** The id the connector's send returned (`providerMessageId`). */
  providerMessageId: string;
  status: string;
  /** The provider's error code for a failed delivery, e.g. Twilio's "30003". */
  errorCode?: string;
  /** The SmsMessage.deliveryRef the message was sent with, as the report carried it back (unverified: the inbound service checks it). */
  deliveryRef?: string;
}

/** The query parameter of a status callback URL that carries SmsMessage.deliveryRef back. */
export const DELIVERY_REF_PARAM = 'ref';

/** A text someone sent to our number; the inbound service looks for opt-out keywords (STOP). */
export interface InboundSmsNotice {
  kind: 'inbound_message';
  /** The sender as the provider reports it (E.164, or a channel address such as "whatsapp:+1…"). */
  from: string;
  body: string;
}

export type SmsNotice = DeliveryStatusNotice | InboundSmsNotice;

/** What each channel's webhooks can report. Channels without inbound webhooks have `never`. */
export interface InboundNotices {
  email: never;
  sms: SmsNotice;
  webhook: never;
  coupon: never;
}

/** A fixed answer a provider expects once its notice is handled (Twilio: an empty TwiML document). */
export interface InboundReply {
  contentType: string;
  body: string;
}

export interface InboundRoute<Notice> {
  /** Exact path, owned by the provider and prefixed with its name, e.g. "/twilio/status". */
  path: string;
  /** Verifies and reads a POST; throws InboundRequestError for anything it will not accept. */
  read(request: InboundRequest): Notice;
  /** What to answer on success; absent: a short text saying what was done. */
  reply?: InboundReply;
}

export interface ProviderInbound<Notice> {
  /** Provider name as in the registry, e.g. "twilio". */
  provider: string;
  routes: readonly InboundRoute<Notice>[];
  /** Set when a secret the routes need is missing (they answer 503): the service warns at start. */
  unconfigured?: string;
}

/** A webhook request refused: `status` (400, 403, 415, 503…) and a reason the caller can read. */
export class InboundRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'InboundRequestError';
  }
}

/** A required field of a webhook, checked against its expected shape. */
export function requiredField(fields: Readonly<Record<string, unknown>>, name: string, shape: RegExp): string {
  const value = fields[name];
  if (value === undefined || value === null || value === '') throw new InboundRequestError(400, `missing field ${name}`);
  if (typeof value !== 'string' || !shape.test(value)) {
    throw new InboundRequestError(400, `field ${name} is malformed: ${JSON.stringify(String(value).slice(0, 64))}`);
  }
  return value;
}

/** The media type of a request, lower case, without parameters. */
export function mediaTypeOf(request: InboundRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Refuses a body that is not `expected` with 415, naming what came instead. */
export function requireMediaType(request: InboundRequest, expected: string): void {
  const mediaType = mediaTypeOf(request);
  if (mediaType !== expected) throw new InboundRequestError(415, `expected a ${expected} body, got ${mediaType ? `"${mediaType}"` : 'no content type'}`);
}
