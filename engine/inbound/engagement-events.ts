/**
 * Engagement becomes ordinary Segment track events about the message's person, published to the raw
 * stream like the collector's (naming the person, as unsubscribes do), so rules, tags, counts and the
 * report read them like any behavior: "opened but did not click within 2 days".
 *
 *   email_clicked / sms_clicked   a tracked link was followed        + url, linkIndex
 *   email_opened                  the open pixel was loaded
 *   sms_delivered / sms_failed    the SMS provider's final report    + status, errorCode?, providerMessageId
 *   email_bounced                 a bounce report                    + bounceType (hard|soft), reason?
 *   email_complained              a spam complaint                   + reason?
 * Every one carries the message: ruleId, ruleVersion, journeyId, stepId, channel.
 *
 * The messageId is derived from what happened (never random): the signed link for clicks and opens (a
 * second click on the same link within the duplicate window is the same event — double clicks, mail
 * scanners that fetch links before the reader), the provider's id and status for reports.
 */
import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { TrackEvent } from '../events/envelope';
import { publishEvent } from '../../platform/nats/publisher';
import type { MessageRef } from '../../workflows/activities/link-tracking';

export const ENGAGEMENT_EVENTS = ['email_clicked', 'sms_clicked', 'email_opened', 'sms_delivered', 'sms_failed', 'email_bounced', 'email_complained'] as const;
export type EngagementEventName = (typeof ENGAGEMENT_EVENTS)[number];

export interface Engagement {
  event: EngagementEventName;
  message: MessageRef;
  /** Event-specific properties (url, status, bounceType…). */
  details: Record<string, string | number>;
  /** What makes two requests the same engagement (the token; provider id + status). */
  dedupeKey: string;
}

export function engagementEvent(engagement: Engagement, now: Date): TrackEvent {
  const { message } = engagement;
  return {
    type: 'track',
    event: engagement.event,
    userId: message.userId,
    properties: { ruleId: message.ruleId, ruleVersion: message.ruleVersion, journeyId: message.journeyId, stepId: message.stepId, channel: message.channel, ...engagement.details },
    messageId: `eng-${createHash('sha256').update(`${engagement.event}\n${engagement.dedupeKey}`).digest('hex').slice(0, 40)}`,
    timestamp: now.toISOString(),
    context: {},
  };
}

/** 'duplicate': the same engagement was already recorded within the duplicate window (still a success). */
export function publishEngagement(js: JetStreamClient, engagement: Engagement, now: Date): Promise<'published' | 'duplicate'> {
  return publishEvent(js, engagementEvent(engagement, now), { person: engagement.message.userId });
}
