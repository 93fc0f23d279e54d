/**
 * Step types on the real Temporal workflow with real connectors: wait-for-event with conditions (event
 * in time vs timeout), branch on traits, pool coupon, webhook with signature, a permanent SMS failure
 * recorded as a skip, and an exit event whose conditions must hold.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPayloadSignature } from '../../shared/payload-signature';
import type { JourneyResult } from '../../workflows/journey/journey-input';
import { identify, startStack, track, type Stack } from '../support/stack';

let stack: Stack;

beforeAll(async () => {
  // The rule posts to a fixed URL; a copy of it points at this run's webhook receiver.
  const dir = mkdtempSync(join(tmpdir(), 'nudge-journey-rules-'));
  const rule = readFileSync('test/fixtures/journey-rules/checkout-nudge.json', 'utf8');
  stack = await startStack({
    rules: dir,
    env: { COUPON_POOLS_DIR: 'test/fixtures/coupons', WEBHOOK_SECRET: 'journey-steps-test-secret' },
    beforeEngine: ({ webhooks }) => writeFileSync(join(dir, 'checkout-nudge.json'), rule.replace('http://127.0.0.1:9/unused', `${webhooks.url}/crm`)),
  });
});
afterAll(async () => {
  await stack?.stop();
});

const journeyOf = (user: string) => stack.journeyResultOf(user, 'checkout-nudge');

const actions = (result: JourneyResult) => result.log.map((a) => (a.action === 'branch' ? `branch:${String(a.branch)}` : a.action === 'skip' ? `skip:${String(a.reason)}` : a.action));

describe('journey steps on Temporal', () => {
  it('plays four users through waits, branches, coupons, webhooks, skips and conditional exits', async () => {
    const soon = () => new Date();
    for (const [user, traits] of [['u1', {}], ['u2', { tier: 'vip', phone: '12345' }], ['u3', {}], ['u4', { tier: 'basic' }]] as const) {
      await stack.publish(identify(user, { email: `${user}@example.com`, first_name: user.toUpperCase(), ...traits }, new Date(Date.now() - 60_000)));
      await stack.publish(track(user, 'product_added', soon(), { product: 'Lamp' }));
    }
    await stack.settle();
    await stack.publish(track('u1', 'checkout_started', soon(), { items: 2 }));
    await stack.publish(track('u2', 'checkout_started', soon(), { items: 0 })); // conditions fail: keeps waiting
    await stack.publish(track('u3', 'order_completed', soon(), { amount: 0 })); // exit conditions fail: goes on
    await new Promise((r) => setTimeout(r, 500));
    await stack.publish(track('u3', 'order_completed', soon(), { amount: 10 }));

    const [u1, u2, u3, u4] = (await Promise.all(['u1', 'u2', 'u3', 'u4'].map(journeyOf))) as [JourneyResult, JourneyResult, JourneyResult, JourneyResult];

    expect(actions(u1)).toEqual(['wait', 'branch:event', 'email', 'wait', 'email', 'exit']);
    expect(u1.reason).toBe('completed');
    const thanks = stack.smtp.messages().find((m) => m.to.includes('u1@'))!;
    expect(thanks.subject).toBe('Almost there, U1');
    expect(thanks.text).toContain('Lamp');

    expect(actions(u2)).toEqual(['wait', 'branch:timeout', 'coupon', 'branch:then', 'skip:invalid_phone', 'webhook', 'wait', 'email', 'exit']);
    expect(actions(u4)).toEqual(['wait', 'branch:timeout', 'coupon', 'branch:else', 'webhook', 'wait', 'email', 'exit']);
    const codes = [u2, u4].map((r) => r.log.find((a) => a.action === 'coupon')!.code);
    expect(new Set(codes)).toEqual(new Set(['POOL-A', 'POOL-B']));
    const lastCall = stack.smtp.messages().find((m) => m.to.includes('u2@') && m.subject === 'Last call')!;
    expect(lastCall.text.trim()).toBe(`Code ${codes[0]}`);

    const hooks = stack.webhooks.requests();
    expect(hooks.map((h) => h.json)).toEqual(expect.arrayContaining([{ user: 'u2', coupon: codes[0] }, { user: 'u4', coupon: codes[1] }]));
    for (const hook of hooks) {
      expect(verifyPayloadSignature('journey-steps-test-secret', hook.headers['x-nudge-timestamp'] as string, hook.body, hook.headers['x-nudge-signature'] as string)).toBe(true);
    }

    const deliveries = await stack.worker.metrics.registry.getSingleMetricAsString('nudge_step_outcomes_total');
    expect(deliveries).toMatch(/nudge_step_outcomes_total\{channel="sms",outcome="skipped",reason="invalid_phone"\} 1/);
    expect(deliveries).toMatch(/nudge_step_outcomes_total\{channel="webhook",outcome="done",reason=""\} 2/);

    expect(u3.reason).toBe('exit_event');
    expect(actions(u3)).toEqual(['wait', 'exit']);
    expect(stack.smtp.messages().filter((m) => m.to.includes('u3@'))).toHaveLength(0);
  });
});
