/**
 * `waitUntil` with time "best": when a waiting journey sends next. The person's learned hour (a UTC hour
 * of the day, engine/state/send-hours.ts) is decided by the engine when the person enters and travels in
 * the journey input, so this is a pure function of (program, context, now): a replay or the simulator
 * waits for the same moment. Without a learned hour the step's fallback local time applies.
 *
 * Quiet hours win: when the moment falls inside the quiet hours of the first email or SMS that follows
 * (past coupons and webhooks), the wait ends when they do. Otherwise a best hour inside quiet hours would
 * be skipped outright under policy "skip", and under "defer" the send's own check would hold it anyway.
 */
import type { Program } from '../../rules/schema/step-program';
import { nodeAt } from '../../rules/schema/step-program';
import type { QuietHours } from '../../rules/schema/guardrails';
import type { LearnedSendHour } from '../../engine/state/send-hours';
import { insideQuietHours, quietHoursEnd } from './quiet-hours';
import { nextLocalTime } from './wait-until';

export interface BestTimeContext {
  program: Program;
  timezone: string;
  quietHours: Partial<Record<'email' | 'sms', QuietHours>>;
  /** The person's learned hour at entry; absent: no history, the fallback applies. */
  sendHour?: LearnedSendHour;
}

export interface BestTime {
  until: number;
  /** What decided it, for the journey log: the histogram the hour came from, or the fallback. */
  basis: 'engagement' | 'activity' | 'fallback';
  /** Set when quiet hours moved the time to their end: the channel whose quiet hours did. */
  quietHours?: 'email' | 'sms';
}

export function bestTimeUntil(ctx: BestTimeContext, stepId: string, fallback: string | undefined, zone: string, now: number): BestTime {
  const learned = ctx.sendHour;
  // rules/semantic-checks.ts refuses a "best" step without a fallback when the rule loads
  if (!learned && fallback === undefined) throw new Error(`waitUntil step "${stepId}" waits for the best time and has no fallback`);
  const until = learned
    ? nextLocalTime(now, `${String(learned.hourUtc).padStart(2, '0')}:00`, 'UTC')
    : nextLocalTime(now, fallback!, zone);
  const basis = learned ? learned.source : 'fallback';
  const channel = nextSendChannel(ctx.program, stepId);
  const quiet = channel ? ctx.quietHours[channel] : undefined;
  if (channel && quiet && insideQuietHours(until, quiet, ctx.timezone)) return { until: quietHoursEnd(until, quiet, ctx.timezone), basis, quietHours: channel };
  return { until, basis };
}

/** The channel of the first email or SMS after `stepId` in its list, looking past coupons and webhooks only. */
function nextSendChannel(program: Program, stepId: string): 'email' | 'sms' | null {
  for (let at = nodeAt(program, stepId).next; at !== null; at = nodeAt(program, at).next) {
    const { type } = nodeAt(program, at).step;
    if (type === 'email' || type === 'sms') return type;
    if (type !== 'coupon' && type !== 'webhook') return null;
  }
  return null;
}
