/**
 * Allowed lateness on the real engine and Temporal workflow: an event from before the trigger that
 * arrives within the rule's 3 s (test/fixtures/late-arrival/pricing-late.json) still keeps the email
 * back — the journey waits, re-checks its trigger as of its time, and ends with trigger_no_longer_true;
 * one that arrives after the lateness finds the email sent and ends the journey as an exit event. The
 * simulator replaying the same events in arrival order takes the same actions, journey by journey.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../engine/events/envelope';
import { toSimulationAction, simulate, type SimulationAction } from '../../engine/simulate/simulator';
import { loadRules } from '../../rules/load-rules';
import type { JourneyResult } from '../../workflows/journey/journey-input';
import { journeyLogQuery } from '../../workflows/journey/signals';
import { identify, startStack, track, type Stack } from '../support/stack';

const RULES = 'test/fixtures/late-arrival';
const MINUTE = 60_000;
let stack: Stack;
const published: EventEnvelope[] = [];

beforeAll(async () => {
  stack = await startStack({ rules: RULES });
});
afterAll(async () => {
  await stack?.stop();
});

const publish = async (event: EventEnvelope) => {
  published.push(event);
  await stack.publish(event);
};
/** An email address and three pricing views, the last one (the trigger) now; returns its time. */
async function threeViews(user: string): Promise<number> {
  const now = Date.now();
  await publish(identify(user, { email: `${user}@example.com` }, new Date(now - MINUTE)));
  for (const ago of [2000, 1000, 0]) await publish(track(user, 'page_viewed', new Date(now - ago), { page: 'pricing' }));
  return now;
}
const steps = (result: JourneyResult) => result.log.map((a) => (a.action === 'exit' || a.action === 'wait' ? `${a.action}:${String(a.reason ?? '')}` : a.action));

describe('events that arrive late', () => {
  it('within the allowed lateness a late event keeps the email back; after it the email goes and the event ends the journey', async () => {
    // ann booked a demo three minutes before her first view; it reaches nudge half a second after the third.
    const annTrigger = await threeViews('ann');
    await stack.settle();
    await new Promise((r) => setTimeout(r, 500));
    await publish(track('ann', 'demo_booked', new Date(annTrigger - 3 * MINUTE)));

    // cat ordered before her views too, but the order arrives only after the 3 s (she is still browsing).
    const catTrigger = await threeViews('cat');
    await stack.settle();
    await new Promise((r) => setTimeout(r, 6000));
    await publish(track('cat', 'page_viewed', new Date(), { page: 'docs' }));
    await publish(track('cat', 'order_completed', new Date(catTrigger - 3 * MINUTE)));
    await stack.settle();

    const ann = await stack.journeyResultOf('ann', 'pricing-late');
    expect(ann.reason).toBe('trigger_no_longer_true');
    expect(steps(ann)).toEqual(['wait:allowed_lateness', 'exit:trigger_no_longer_true']);
    expect(ann.log[1]!.at - annTrigger).toBeGreaterThanOrEqual(3000); // not before the lateness was over
    const cat = await stack.journeyResultOf('cat', 'pricing-late');
    expect(steps(cat)).toEqual(['wait:allowed_lateness', 'email', 'wait:', 'exit:exit_event']);
    expect(stack.smtp.messages().map((m) => m.to)).toEqual([expect.stringContaining('cat@example.com')]);

    // The simulator, given the same events in the order they arrived, shows exactly this.
    const [rule] = loadRules([RULES]);
    const simulated = await simulate({ rules: [rule!], events: published, order: 'arrival', env: {} });
    const onTemporal: SimulationAction[] = [];
    for (const outcome of stack.outcomes) {
      for (const decision of outcome.decisions) {
        if (decision.outcome !== 'started') continue;
        const journey = { userId: outcome.userKey, ruleId: rule!.rule.id, ruleVersion: rule!.rule.version, journeyId: decision.workflowId };
        onTemporal.push({ at: '', ...journey, step: null, action: 'enter' });
        for (const action of await stack.temporal.workflow.getHandle(decision.workflowId).query(journeyLogQuery)) onTemporal.push(toSimulationAction(journey, action as never));
      }
    }
    /** Each journey's actions in order, without times (the simulator interleaves journeys by virtual time). */
    const byJourney = (actions: SimulationAction[]) => {
      const groups: Record<string, unknown[]> = {};
      for (const { at: _at, memberId: _member, ...rest } of actions) (groups[rest.journeyId ?? `${rest.userId} outside journeys`] ??= []).push(rest);
      return groups;
    };
    expect(byJourney(onTemporal)).toEqual(byJourney(simulated));
    expect(simulated.filter((a) => a.action === 'email').map((a) => a.userId)).toEqual(['cat']);
  }, 60_000);
});
