/**
 * The served report in a real browser (headless Chromium, the system's, driven by playwright-core):
 * `nudge report --serve` over a JSONL journey event log and behavior events; the funnel numbers the page
 * shows equal those counted from the log by hand, every chart is an SVG, /report.json has the same
 * numbers, and a screenshot of the page is not blank.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger';
import { chromiumPath } from '../../test/support/chromium';
import { fileSource, runReport } from './report-command';
import type { ReportNumbers } from './report-numbers';
import { funnelByHand, journeyRecords, type JourneyPlan } from './report.harness';


const T0 = Date.parse('2026-04-01T08:00:00Z');
const H = 3_600_000;
// 120 people, a third in control; conversions and skips follow the person's number, so the log is known.
const plans: JourneyPlan[] = Array.from({ length: 120 }, (_, i) => {
  const control = i % 3 === 0;
  return {
    person: `p${i}`,
    group: control ? 'control' : 'treatment',
    enteredAt: T0 + i * 20 * 60_000,
    steps: control ? [{ skipped: 'holdout' }, { skipped: 'holdout' }] : ['sent', i % 5 === 0 ? { skipped: 'quiet_hours' } : 'sent'],
    convertedAfterMs: i % (control ? 6 : 4) === 1 ? (i % 7) * 5 * H : undefined,
    variant: i % 2 ? 'short' : 'long',
  };
});
const records = plans.flatMap(journeyRecords);
const behavior = plans.flatMap((plan, i) => [
  { type: 'track', event: 'product_viewed', userId: plan.person, timestamp: new Date(plan.enteredAt - H).toISOString(), messageId: `pv-${i}`, properties: {} },
  { type: 'track', event: 'cart_abandoned', userId: plan.person, timestamp: new Date(plan.enteredAt).toISOString(), messageId: `ca-${i}`, properties: {} },
  ...(i % 3 && i % 2 ? [{ type: 'track', event: 'email_clicked', userId: plan.person, timestamp: new Date(plan.enteredAt + 2 * H).toISOString(), messageId: `cl-${i}`, properties: { journeyId: `welcome-${plan.person}` } }] : []),
]);
const byHand = funnelByHand(records, behavior.filter((b) => b.event === 'email_clicked').map((b) => ({ personId: b.userId, event: b.event, at: 0, journeyId: b.properties.journeyId! })));

let dir: string;
let browser: Browser;
let served: { url: string; stop: () => Promise<void> };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nudge-report-'));
  writeFileSync(join(dir, 'journey-events.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
  writeFileSync(join(dir, 'behavior.jsonl'), behavior.map((b) => JSON.stringify(b)).join('\n'));
  const result = await runReport(fileSource(join(dir, 'journey-events.jsonl'), join(dir, 'behavior.jsonl')), { serve: true, port: 0 }, createLogger('test', 'silent'));
  if (typeof result === 'number') throw new Error('runReport --serve returned an exit code');
  served = result;
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nudge report --serve in Chromium', () => {
  it('shows the funnel counted from the log, its charts, and a page that is not blank', async () => {
    expect(byHand.converted).toBeGreaterThan(0);
    expect(byHand.clicked).toBeGreaterThan(0);
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const response = await page.goto(served.url);
    expect(response?.status()).toBe(200);

    const shown = Object.fromEntries(await page.$$eval('section[data-rule="welcome@1"] table.funnel tr[data-stage]', (rows) => rows.map((row) => [row.getAttribute('data-stage'), Number(row.querySelector('.count')?.textContent)])));
    expect(shown).toEqual({ entered: byHand.entered, 'email-1 sent': byHand.sent['email-1'], 'email-2 sent': byHand.sent['email-2'], clicked: byHand.clicked, converted: byHand.converted });
    expect(await page.locator('section[data-rule="welcome@1"] figure svg').count()).toBe(6);
    expect(await page.locator('.verdict').textContent()).toMatch(/treatment|control|tell/);

    const json = (await (await fetch(`${served.url}/report.json`)).json()) as ReportNumbers;
    expect(json.rules[0]!.funnel.map((s) => s.count)).toEqual(Object.values(shown));

    const screenshot = await page.screenshot({ fullPage: true });
    const shot = await browser.newPage();
    // Count the screenshot's distinct colours in the browser itself (no PNG decoder needed here).
    // Count the screenshot's distinct colours in the browser itself (no PNG decoder needed here); a
    // string, as the test's TypeScript has no DOM types.
    const colours = await shot.evaluate<number>(`(async () => {
      const image = new Image();
      image.src = 'data:image/png;base64,${screenshot.toString('base64')}';
      await image.decode();
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [image.width, image.height];
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set();
      for (let i = 0; i < pixels.length; i += 4 * 97) seen.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
      return seen.size;
    })()`);
    expect(colours).toBeGreaterThan(20);
    writeFileSync(join(tmpdir(), 'nudge-report-screenshot.png'), screenshot);
  }, 60_000);
});
