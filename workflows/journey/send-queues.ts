/**
 * Where a throttled send runs: a Temporal task queue per channel and rate, `<queue>.throttle.<channel>.<rate>`,
 * whose workers all set `maxTaskQueueActivitiesPerSecond` to that rate. The server hands out that
 * queue's activity tasks at most that fast across every worker polling it, and the others wait in the
 * queue (no schedule-to-start timeout), so a broadcast never fails or skips a send for the rate and
 * holds no worker slot while waiting. Naming the queue after the rate lets any rule choose its own
 * rate with no coordination: the workers serve every rate the rule set and NUDGE_THROTTLE name.
 */
import type { Rule } from '../../rules/schema/rule';
import { THROTTLED_CHANNELS, type ChannelThrottle, type ThrottledChannel } from '../../rules/schema/throttle';
import type { ActionStep } from './machine';

export type SendQueues = Partial<Record<ThrottledChannel, string>>;

export interface ThrottledQueue {
  queue: string;
  channel: ThrottledChannel;
  perSecond: number;
}

export const throttledQueueName = (taskQueue: string, channel: ThrottledChannel, perSecond: number) => `${taskQueue}.throttle.${channel}.${perSecond}`;

/** The throttled queues of an audience rule's journeys: the rule's rate per channel, else the global one. */
export function sendQueuesOf(rule: Pick<Rule, 'throttle'>, global: ChannelThrottle, taskQueue: string): SendQueues | undefined {
  const queues: SendQueues = {};
  for (const channel of THROTTLED_CHANNELS) {
    const rate = rule.throttle?.[channel] ?? global[channel];
    if (rate !== undefined) queues[channel] = throttledQueueName(taskQueue, channel, rate);
  }
  return Object.keys(queues).length ? queues : undefined;
}

/** Every queue the workers must serve for these rules and the global throttle. */
export function throttledQueuesOf(rules: readonly Pick<Rule, 'throttle'>[], global: ChannelThrottle, taskQueue: string): ThrottledQueue[] {
  const queues = new Map<string, ThrottledQueue>();
  for (const rule of [{ throttle: {} }, ...rules]) {
    for (const channel of THROTTLED_CHANNELS) {
      const perSecond = rule.throttle?.[channel] ?? global[channel];
      if (perSecond !== undefined) queues.set(throttledQueueName(taskQueue, channel, perSecond), { queue: throttledQueueName(taskQueue, channel, perSecond), channel, perSecond });
    }
  }
  return [...queues.values()];
}

/** The queue a send step of this journey runs on, or undefined (the journey's own queue). */
export function sendQueueOf(queues: SendQueues | undefined, step: ActionStep): string | undefined {
  if (!queues) return undefined;
  return step.type === 'email' || step.type === 'sms' || step.type === 'webhook' ? queues[step.type] : undefined;
}
