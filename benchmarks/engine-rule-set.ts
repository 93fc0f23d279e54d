/**
 * The engine benchmark's rule set and events: the example rules in rules/ plus generated rules that
 * look like real ones (a trigger event among 20, a property equality on the event, a count in a
 * window, an entry policy, a wait and an email), and an event mix in which about 1% of events start
 * a journey.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEnvelope } from '../engine/events/envelope';
import { mulberry32, pick, zipfPicker } from './bench-support';

export const GENERATED_EVENTS = Array.from({ length: 20 }, (_, i) => `feature_${i}_used`);
export const GENERATED_PAGES = Array.from({ length: 50 }, (_, i) => `feature-page-${i}`);

/** A directory with the example rules and `generated` more; returns its path. */
export function writeRuleSet(generated: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-bench-rules-'));
  for (const file of ['pricing-hesitation.json', 'cart-abandonment.json', 'trial-activation.json', 'catalog.json']) cpSync(join('rules', file), join(dir, file));
  cpSync(join('rules', 'coupons'), join(dir, 'coupons'), { recursive: true });
  mkdirSync(join(dir, 'tags'));
  const random = mulberry32(9);
  for (let i = 0; i < generated; i++) {
    const event = pick(random, GENERATED_EVENTS);
    const page = pick(random, GENERATED_PAGES);
    const rule = {
      id: `generated-${i}`,
      name: `Generated: ${event} on ${page} 3 times in 7 days`,
      version: 1,
      enabled: true,
      trigger: { event, conditions: { all: [
        { fact: 'event', path: '$.properties.page', operator: 'equal', value: page },
        { fact: 'count', params: { event, where: { page }, within: '7d' }, operator: 'greaterThanInclusive', value: 3 },
      ] } },
      entry: { policy: 'oncePerWindow', window: '30d' },
      exitOn: [{ event: 'order_completed' }],
      steps: [
        { id: 'wait', type: 'wait', duration: '1d' },
        { id: 'tip', type: 'email', subject: `A tip about ${page}`, text: 'Hello {{ user.id }}' },
      ],
    };
    writeFileSync(join(dir, `generated-${i}.json`), JSON.stringify(rule));
  }
  return dir;
}

/**
 * About 1% of these start a journey: the first product_added of a user (cart-abandonment) and signed_up (trial-activation).
 * People are Zipf-distributed (a few very active, a long tail) or, with `everyone`, taken in turn, so that
 * `count >= users` reaches every person (the memory run: RSS with the cache capped and every person seen).
 */
export function* benchmarkEvents(count: number, users: number, now: number, everyone = false): Generator<EventEnvelope> {
  const random = mulberry32(42);
  const pages = zipfPicker(['home', 'docs', 'blog', 'pricing', 'about', 'careers', 'changelog', 'status']);
  const featurePage = zipfPicker(GENERATED_PAGES);
  const user = zipfPicker(Array.from({ length: users }, (_, i) => i));
  for (let i = 0; i < count; i++) {
    const userId = `user-${everyone ? i % users : user(random)}`;
    const timestamp = new Date(now - Math.floor((1 - i / count) * 6 * 86_400_000)).toISOString();
    const base = { userId, timestamp, messageId: `bench-${i}`, context: {} };
    const r = random();
    if (r < 0.85) yield { type: 'track', event: 'page_viewed', properties: { page: pages(random) }, ...base };
    else if (r < 0.983) yield { type: 'track', event: pick(random, GENERATED_EVENTS), properties: { page: featurePage(random) }, ...base };
    else if (r < 0.989) yield { type: 'track', event: 'product_added', properties: { product: 'tent' }, ...base };
    else if (r < 0.993) yield { type: 'track', event: 'signed_up', properties: {}, ...base };
    else yield { type: 'track', event: 'order_completed', properties: { amount: 10 }, ...base };
  }
}
