/**
 * An unsubscribe becomes an ordinary Segment track event, `unsubscribed`, published to the user's
 * partition like any other event: the engine turns it into consent in the profile and running journeys
 * see it, in order with the user's other events. The messageId is derived from what was unsubscribed
 * (never random), so repeated clicks or a retried webhook are dropped by JetStream's duplicate window.
 */
import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { TrackEvent } from '../events/envelope';
import { publishEvent } from '../../platform/nats/publisher';
import type { UnsubscribeTarget } from './unsubscribe-links';

export const UNSUBSCRIBED_EVENT = 'unsubscribed';

/**
 * How the user unsubscribed. `mailto` is reserved for a reader of the List-Unsubscribe mailbox, which
 * nudge does not have yet; `hard_bounce` and `complaint` come from the email provider's reports
 * (email-events.ts): the address does not exist, or the reader marked the mail as spam.
 */
export type UnsubscribeSource = 'one-click' | 'landing-page' | 'sms-stop' | 'mailto' | 'hard_bounce' | 'complaint';

export interface Unsubscribe extends UnsubscribeTarget {
  source: UnsubscribeSource;
  /** What makes two requests "the same unsubscribe": the token, or the SMS sender and its user. */
  dedupeKey: string;
}

export function unsubscribeEvent(unsubscribe: Unsubscribe, now: Date): TrackEvent {
  return {
    type: 'track',
    event: UNSUBSCRIBED_EVENT,
    userId: unsubscribe.userId,
    properties: { channel: unsubscribe.channel, topic: unsubscribe.topic, source: unsubscribe.source },
    messageId: `unsub-${createHash('sha256').update(unsubscribe.dedupeKey).digest('hex').slice(0, 40)}`,
    timestamp: now.toISOString(),
    context: {},
  };
}

/**
 * Publishes the event for the person the link or the phone number names (its id is the person id, not
 * an identifier to resolve); 'duplicate' means the same unsubscribe was already recorded (still a success).
 */
export function publishUnsubscribe(js: JetStreamClient, unsubscribe: Unsubscribe, now = new Date()): Promise<'published' | 'duplicate'> {
  return publishEvent(js, unsubscribeEvent(unsubscribe, now), { person: unsubscribe.userId });
}
