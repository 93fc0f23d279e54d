/**
 * Delivery guardrails declared in rule files (and, with the same shapes, in global configuration):
 * quiet hours per channel, frequency caps per channel, holdout. Consent is not declared here: it lives
 * in the user's profile; steps only name their topic and whether they are transactional.
 */
import { z } from 'zod';
import { Duration } from './duration';

const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time is "HH:mm", 00:00 to 23:59');

export const QuietHours = z
  .object({
    start: LocalTime.meta({ description: 'Local time quiet hours begin, e.g. "21:00".' }),
    end: LocalTime.meta({ description: 'Local time they end, e.g. "09:00" (may be earlier than start: the window crosses midnight).' }),
    policy: z.enum(['defer', 'skip']).default('defer').meta({ description: 'defer: send at the next allowed minute (default); skip: drop the message with reason quiet_hours.' }),
  })
  .strict()
  .meta({ description: "Hours in the user's time zone during which messages on this channel are held back." });

export const FrequencyCap = z
  .object({
    max: z.number().int().min(1).max(1000).meta({ description: 'At most this many messages…' }),
    per: Duration.meta({ description: '…per this sliding window, across all rules, per user.' }),
    policy: z.enum(['skip', 'defer']).default('skip').meta({ description: 'skip (default): drop an over-cap message with reason frequency_cap; defer: send when a slot frees up.' }),
  })
  .strict();

/** Per channel; `false` turns the global setting off for this rule. */
export const ChannelQuietHours = z
  .object({ email: z.union([QuietHours, z.literal(false)]).optional(), sms: z.union([QuietHours, z.literal(false)]).optional() })
  .strict();

export const ChannelFrequencyCaps = z
  .object({ email: z.union([FrequencyCap, z.literal(false)]).optional(), sms: z.union([FrequencyCap, z.literal(false)]).optional() })
  .strict();

export type QuietHours = z.output<typeof QuietHours>;
export type FrequencyCap = z.output<typeof FrequencyCap>;
export type ChannelQuietHours = z.output<typeof ChannelQuietHours>;
export type ChannelFrequencyCaps = z.output<typeof ChannelFrequencyCaps>;
export type GuardedChannel = 'email' | 'sms';

/** Rule settings override global ones channel by channel; `false` removes the global setting. */
export function mergeChannelSettings<T>(global: Partial<Record<GuardedChannel, T>>, rule: Partial<Record<GuardedChannel, T | false>> | undefined): Partial<Record<GuardedChannel, T>> {
  const merged: Partial<Record<GuardedChannel, T>> = { ...global };
  for (const channel of ['email', 'sms'] as const) {
    const value = rule?.[channel];
    if (value === false) delete merged[channel];
    else if (value !== undefined) merged[channel] = value;
  }
  return merged;
}
