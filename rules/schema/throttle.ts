/**
 * Broadcast throttling: messages per second per channel for the journeys of an audience (a `schedule`
 * or `oneOff` trigger), so a send to a million people does not flood a provider. A rule's `throttle`
 * overrides NUDGE_THROTTLE per channel. The sends beyond the rate wait in Temporal's task queue of
 * that channel and rate (workflows/journey/send-queues.ts); none fails or is skipped for it.
 */
import { z } from 'zod';

export const THROTTLED_CHANNELS = ['email', 'sms', 'webhook'] as const;
export type ThrottledChannel = (typeof THROTTLED_CHANNELS)[number];

const Rate = z.number().positive().max(100_000).meta({ description: 'Messages per second on this channel, across all workers.' });

export const ChannelThrottle = z
  .object({ email: Rate.optional(), sms: Rate.optional(), webhook: Rate.optional() })
  .strict()
  .meta({ description: 'Messages per second per channel for this rule\'s audience journeys (schedule and oneOff triggers), overriding NUDGE_THROTTLE; the rest wait, none fails. Example: { "email": 50, "sms": 10 }.', examples: [{ email: 50, sms: 10 }] });

export type ChannelThrottle = z.output<typeof ChannelThrottle>;
