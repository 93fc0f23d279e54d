/**
 * The guardrails that apply to every rule unless the rule overrides them. The engine's config reads
 * them from the environment (platform/config.ts `globalGuardrails`); the decision core only needs
 * their shape, so it is stated here, below the config.
 */
import type { FrequencyCap, GuardedChannel, QuietHours } from '../../rules/schema/guardrails';
import type { ChannelThrottle } from '../../rules/schema/throttle';

export interface GlobalGuardrails {
  quietHours: Partial<Record<GuardedChannel, QuietHours>>;
  frequencyCaps: Partial<Record<GuardedChannel, FrequencyCap>>;
  /** IANA zone for users without a `timezone` trait. */
  defaultTimezone: string;
  /** How long after an event's time a late copy may still undo a journey entry (ms; 0: off). */
  allowedLatenessMs: number;
  /** Audience journeys' sends: the journeys' task queue and NUDGE_THROTTLE (workflows/journey/send-queues.ts). */
  broadcast?: { taskQueue: string; throttle: ChannelThrottle };
}
