/**
 * The flagship rule end to end on real servers: "viewed pricing 3 times in 7 days and placed no order
 * in 7 days" -> coupon + email at once, SMS with the same code after 2 days (a day lasts 1 s here),
 * an order ends the journey.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identify, startStack, track, type Stack } from '../support/stack';
import { eventually } from '../support/poll';

const DAY = 86_400_000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ rules: 'rules', env: { NUDGE_DAY_LENGTH: '1s' } });
});
afterAll(async () => {
  await stack?.stop();
});

const pricing = (user: string, at: Date) => track(user, 'page_viewed', at, { page: 'pricing' });
const ago = (ms: number) => new Date(Date.now() - ms);

async function profile(user: string) {
  await stack.publish(identify(user, { email: `${user}@example.com`, phone: '+14155550100', first_name: user.toUpperCase() }, ago(10 * DAY)));
}

describe('flagship: pricing hesitation', () => {
  it('user A gets a coupon and an email at the third pricing view, then an SMS with the same code', async () => {
    await profile('user-a');
    await stack.publish(pricing('user-a', ago(3 * DAY)));
    await stack.publish(pricing('user-a', ago(2 * DAY)));
    await stack.settle();
    expect(stack.smtp.messages().filter((m) => m.to.includes('user-a@example.com'))).toHaveLength(0);

    await stack.publish(pricing('user-a', ago(60_000)));
    const email = await stack.smtp.waitFor((m) => m.to.includes('user-a@example.com'), 20_000);
    const code = /SAVE10-[0-9A-Z]+/.exec(email.text)?.[0];
    expect(code, `coupon code in: ${email.text}`).toBeDefined();
    expect(email.subject).toBe('USER-A, 10% off is waiting for you');

    const sms = await stack.twilio.waitFor((m) => m.to === '+14155550100' && m.body.includes(code!), 20_000);
    expect(sms.body).toContain(code!);
    expect(stack.smtp.messages().filter((m) => m.to.includes('user-a@example.com'))).toHaveLength(1);

    const listed = await eventually(async () => {
      const found = [];
      for await (const wf of stack.temporal.workflow.list({ query: `RuleId="pricing-hesitation" AND UserId="user-a"` })) found.push(wf);
      return found.length ? found : undefined;
    }, 15_000, 'the journey in Temporal visibility');
    expect(listed).toHaveLength(1);
    const result = await stack.temporal.workflow.getHandle(listed[0]!.workflowId).result();
    expect(result.reason).toBe('completed');
    // after the SMS the journey watches for its goal (an order within 7 days of entry) until the window ends
    expect(result.log.map((a: { action: string }) => a.action)).toEqual(['coupon', 'email', 'wait', 'sms', 'wait', 'exit']);
    expect(result.log.at(-2)).toMatchObject({ action: 'wait', reason: 'goal_window' });
  });

  it('user B orders during the wait: no SMS, and the journey shows as exited by the order', async () => {
    await profile('user-b');
    for (const days of [5, 3]) await stack.publish(pricing('user-b', ago(days * DAY)));
    await stack.publish(pricing('user-b', ago(1000)));
    const email = await stack.smtp.waitFor((m) => m.to.includes('user-b@example.com'), 20_000);
    const code = /SAVE10-[0-9A-Z]+/.exec(email.text)![0];
    await stack.publish(track('user-b', 'order_completed', new Date(), { amount: 49 }));

    const journey = await eventually(async () => {
      for await (const wf of stack.temporal.workflow.list({ query: `RuleId="pricing-hesitation" AND UserId="user-b"` })) return wf;
      return undefined;
    }, 15_000, 'user B journey');
    const result = await stack.temporal.workflow.getHandle(journey.workflowId).result();
    expect(result.reason).toBe('exit_event');
    expect(result.log.at(-1)).toMatchObject({ action: 'exit', reason: 'exit_event', event: 'order_completed' });
    await new Promise((r) => setTimeout(r, 2500)); // past the 2 s wait: still no SMS
    expect(stack.twilio.messages().filter((m) => m.body.includes(code))).toHaveLength(0);
  });

  it('user C views pricing twice and gets nothing; user D\'s three views never fall inside one 7-day window', async () => {
    await profile('user-c');
    await profile('user-d');
    await stack.publish(pricing('user-c', ago(2 * DAY)));
    await stack.publish(pricing('user-c', ago(1000)));
    await stack.publish(pricing('user-d', ago(16 * DAY)));
    await stack.publish(pricing('user-d', ago(8.5 * DAY)));
    await stack.publish(pricing('user-d', ago(1000)));
    await stack.settle();
    const decisions = stack.outcomes.filter((o) => o.userKey === 'user-c' || o.userKey === 'user-d').flatMap((o) => o.decisions);
    expect(decisions.every((d) => d.outcome === 'no_match')).toBe(true);
    expect(decisions).toHaveLength(5);
    expect(stack.smtp.messages().filter((m) => /user-[cd]@/.test(m.to))).toHaveLength(0);
  });
});
