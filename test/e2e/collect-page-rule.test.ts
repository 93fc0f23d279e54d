/**
 * A page view sent by Segment's SDK through the collector starts the journey of a rule triggered on
 * `page_viewed` with `$.properties.path` equal "/pricing" (test/fixtures/collect/pricing-page.json).
 */
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectService } from '../../engine/collect/collect-service';
import type { CollectServer } from '../../engine/collect/collect-server';
import { startStack, type Stack } from '../support/stack';

const WRITE_KEY = 'wk-pages';
let stack: Stack;
let collector: CollectServer;

beforeAll(async () => {
  stack = await startStack({ rules: 'test/fixtures/collect' });
  collector = await startCollectService({ config: { ...stack.config, NUDGE_COLLECT_PORT: 0, NUDGE_WRITE_KEYS: { [WRITE_KEY]: 'web' } } });
});
afterAll(async () => {
  await collector?.stop();
  await stack?.stop();
});

describe('a Segment page event through the collector', () => {
  it('reaches the rule on page_viewed by path; other paths do not', async () => {
    const user = `visitor-${randomUUID().slice(0, 8)}`;
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: collector.url, flushAt: 10, flushInterval: 50 });
    analytics.identify({ userId: user, traits: { email: `${user}@example.com` }, timestamp: new Date(Date.now() - 60_000) });
    analytics.page({ userId: user, name: 'Docs', properties: { path: '/docs', url: 'https://shop.test/docs' }, timestamp: new Date(Date.now() - 30_000) });
    analytics.page({ userId: user, name: 'Pricing', properties: { path: '/pricing', url: 'https://shop.test/pricing' } });
    await analytics.closeAndFlush({ timeout: 20_000 });
    stack.expectExtra(3);
    await stack.settle();

    const email = await stack.smtp.waitFor((m) => m.to.includes(`${user}@example.com`), 20_000);
    expect(email.subject).toBe('Questions about Pricing?');
    expect(email.text).toContain('You looked at https://shop.test/pricing.');
    const decisions = stack.outcomes.filter((o) => o.userKey === user).flatMap((o) => o.decisions.map((d) => d.outcome));
    // The /docs view never meets the rule: its trigger tests path = /pricing, and the rule index skips
    // rules whose indexed property cannot match, so only the pricing view is decided.
    expect(decisions).toEqual(['started']);
  });
});
