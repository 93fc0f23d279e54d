/**
 * Browser tracking, for real: Segment's analytics.js (@segment/analytics-next, from node_modules) in a
 * local page in headless Chromium (the system's, driven by playwright-core) sends identify, track and
 * page to the collector across origins (CORS preflight, text/plain, the write key in Basic auth and the
 * body), and the page view of /pricing starts the journey of test/fixtures/collect/pricing-page.json.
 * In batching mode it posts /v1/b instead, with the same result.
 * A page of an origin the write key does not allow is refused by the browser itself.
 */
import { randomUUID } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectService } from '../../engine/collect/collect-service';
import type { CollectServer } from '../../engine/collect/collect-server';
import { startAnalyticsPage, type AnalyticsPage } from '../support/analytics-page';
import { chromiumPath } from '../support/chromium';
import { startStack, type Stack } from '../support/stack';

const WRITE_KEY = 'wk-browser';
let stack: Stack;
let collector: CollectServer;
let site: AnalyticsPage;
let browser: Browser;


beforeAll(async () => {
  stack = await startStack({ rules: 'test/fixtures/collect' });
  // The site first: the write key allows its origin; then it learns where the collector listens.
  site = await startAnalyticsPage(WRITE_KEY);
  collector = await startCollectService({ config: { ...stack.config, NUDGE_COLLECT_PORT: 0, NUDGE_WRITE_KEYS: { [WRITE_KEY]: { source: 'web', allowedOrigins: [site.origin] } } } });
  site.setCollector(`127.0.0.1:${collector.port}`);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await site?.stop();
  await collector?.stop();
  await stack?.stop();
});

describe('analytics.js in Chromium', () => {
  it('sends identify, track and page across origins; the page view starts the journey', async () => {
    const user = `browser-${randomUUID().slice(0, 8)}`;
    site.setCalls(`
      analytics.identify(${JSON.stringify(user)}, { email: ${JSON.stringify(`${user}@example.com`)} });
      analytics.track('Plan Compared', { plan: 'pro' });
      analytics.page('Pricing');
    `);
    const page = await browser.newPage();
    const answers: { url: string; status: number; method: string }[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(collector.url)) answers.push({ url: response.url(), status: response.status(), method: response.request().method() });
    });
    await page.goto(`${site.origin}/pricing`);
    stack.expectExtra(3);
    await stack.settle(30_000);

    const email = await stack.smtp.waitFor((m) => m.to.includes(`${user}@example.com`), 20_000);
    expect(email.subject).toBe('Questions about Pricing?');
    expect(email.text).toContain(`You looked at ${site.origin}/pricing.`);
    const outcomes = stack.outcomes.filter((o) => o.userKey === user);
    expect(outcomes).toHaveLength(3);
    expect(outcomes.flatMap((o) => o.decisions.map((d) => d.outcome))).toEqual(['started']);
    // analytics.js's own routes, each preflighted (it sends Basic auth) and answered 200.
    const posts = answers.filter((a) => a.method === 'POST');
    expect(posts.map((a) => new URL(a.url).pathname).sort()).toEqual(['/v1/i', '/v1/p', '/v1/t']);
    expect(posts.every((a) => a.status === 200)).toBe(true);
    await page.close();
  }, 60_000);

  it('in batching mode analytics.js posts /v1/b, and its events arrive the same', async () => {
    const user = `batcher-${randomUUID().slice(0, 8)}`;
    site.setBatching(true);
    site.setCalls(`
      analytics.identify(${JSON.stringify(user)}, { email: ${JSON.stringify(`${user}@example.com`)} });
      analytics.track('Plan Compared', { plan: 'team' });
    `);
    const page = await browser.newPage();
    const posts: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(collector.url) && response.request().method() === 'POST') posts.push(`${new URL(response.url()).pathname} ${response.status()}`);
    });
    await page.goto(`${site.origin}/plans`);
    stack.expectExtra(2);
    await stack.settle(30_000);
    expect(stack.outcomes.filter((o) => o.userKey === user)).toHaveLength(2);
    expect(new Set(posts)).toEqual(new Set(['/v1/b 200']));
    site.setBatching(false);
    await page.close();
  }, 60_000);

  it('a page of an origin the key does not allow cannot send: the browser stops at the preflight', async () => {
    site.setCalls('');
    const page = await browser.newPage();
    // localhost is another origin than 127.0.0.1, though the same server.
    await page.goto(`${site.origin.replace('127.0.0.1', 'localhost')}/other`);
    const result = await page.evaluate(async ([url, key]) => {
      try {
        const response = await fetch(`${url}/v1/t`, { method: 'POST', headers: { 'Content-Type': 'text/plain', Authorization: `Basic ${btoa(`${key}:`)}` }, body: JSON.stringify({ event: 'x', anonymousId: 'a', writeKey: key }) });
        return `answered ${response.status}`;
      } catch (error) {
        return `refused: ${(error as Error).name}`;
      }
    }, [collector.url, WRITE_KEY] as const);
    expect(result).toBe('refused: TypeError');
    const preflight = await fetch(`${collector.url}/v1/t`, { method: 'OPTIONS', headers: { Origin: site.origin.replace('127.0.0.1', 'localhost'), 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(403);
    await page.close();
  }, 30_000);
});
