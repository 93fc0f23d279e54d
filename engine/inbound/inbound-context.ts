/** What every inbound route needs, built once by the server. */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from '../../platform/logger';
import type { InboundMetrics } from './inbound-metrics';
import type { PhoneLookup } from './phone-directory';

export interface InboundContext {
  js: JetStreamClient;
  partitions: number;
  /** NUDGE_UNSUBSCRIBE_SECRET: verifies unsubscribe tokens. */
  secret: string;
  /**
   * NUDGE_TRACKING_SECRET: verifies tracked clicks, open pixels and message refs (tracking-links.ts).
   * Absent: /c/ and /o/ answer 503 and delivery reports carry no events (the ledger is still updated).
   */
  trackingSecret?: string;
  /** NUDGE_EMAIL_EVENTS_SECRET: the HMAC key of POST /email/events (email-events.ts); absent: that route answers 503. */
  emailEventsSecret?: string;
  metrics: InboundMetrics;
  /** NUDGE_PUBLIC_URL without a trailing slash: providers such as Twilio sign `publicBaseUrl + path`. */
  publicBaseUrl: string;
  phoneDirectory: PhoneLookup;
  ledger: DeliveryStatusSink;
  log: Logger;
  now: () => Date;
}

/** Where delivery status callbacks go: the send ledger (workflows/activities/send-ledger.ts) in production. */
export interface DeliveryStatusSink {
  setDeliveryStatus(providerMessageId: string, status: string, errorCode?: string): Promise<'updated' | 'ignored_older' | 'not_found'>;
}
