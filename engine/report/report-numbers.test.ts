/**
 * The report's numbers from a known set of records, in an in-memory DuckDB: the funnel (and its steps'
 * skips by reason), rates per group, variants, time to convert, over time and paths, each checked
 * against what the records say (counted by hand in funnelByHand or written out here).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildReportNumbers } from './report-numbers';
import { ReportStore, type ReportBehaviorEvent } from './report-store';
import { clickOf, funnelByHand, journeyRecords, type JourneyPlan } from './report.harness';

const T0 = Date.parse('2026-03-01T09:00:00Z');
const H = 3_600_000;

const plans: JourneyPlan[] = [
  { person: 'ada', group: 'treatment', enteredAt: T0, steps: ['sent', 'sent'], convertedAfterMs: 30 * 60_000, variant: 'A' },
  { person: 'bob', group: 'treatment', enteredAt: T0 + H, steps: ['sent', { skipped: 'quiet_hours' }], convertedAfterMs: 30 * H, variant: 'B' },
  { person: 'cy', group: 'treatment', enteredAt: T0 + 2 * H, steps: ['sent', 'unknown'], variant: 'A' },
  { person: 'dee', group: 'treatment', enteredAt: T0 + 3 * H, steps: [{ skipped: 'no_consent' }, { skipped: 'no_consent' }], variant: 'B' },
  { person: 'eve', group: 'control', enteredAt: T0, steps: [{ skipped: 'holdout' }, { skipped: 'holdout' }], convertedAfterMs: 3 * 86_400_000 },
  { person: 'fay', group: 'control', enteredAt: T0 + H, steps: [{ skipped: 'holdout' }, { skipped: 'holdout' }] },
  { person: 'gus', group: 'treatment', enteredAt: T0, steps: ['sent'], convertedAfterMs: 2 * H, ruleId: 'winback', ruleVersion: 3 },
];
const records = plans.flatMap(journeyRecords);
const behavior: ReportBehaviorEvent[] = [
  clickOf(plans[0]!, 90 * 60_000 - 80 * 60_000), // ada clicks (10 min after entry)
  clickOf(plans[0]!, 20 * 60_000), // … twice: still one clicked journey
  clickOf(plans[2]!, 4 * H), // cy clicks, never converts
  { personId: 'ada', event: 'page_viewed', at: T0 - 2 * H, journeyId: null },
  { personId: 'ada', event: 'product_viewed', at: T0 - H, journeyId: null },
  { personId: 'ada', event: 'cart_abandoned', at: T0, journeyId: null },
  { personId: 'bob', event: 'product_viewed', at: T0, journeyId: null },
  { personId: 'bob', event: 'cart_abandoned', at: T0 + H, journeyId: null },
  { personId: 'bob', event: 'email_opened', at: T0 + 2 * H, journeyId: 'welcome-bob' },
];

let store: ReportStore | undefined;
afterEach(() => store?.close());

async function reportOf(recs = records, events = behavior) {
  store = await ReportStore.open();
  await store.addJourneyEvents(recs);
  await store.addBehaviorEvents(events);
  await store.seal();
  return buildReportNumbers(store);
}

describe('buildReportNumbers', () => {
  it('one report per rule and version, the funnel equal to the records counted by hand', async () => {
    const { rules } = await reportOf();
    expect(rules.map((r) => `${r.ruleId}@${r.ruleVersion}`)).toEqual(['welcome@1', 'winback@3']);
    const welcome = rules[0]!;
    const byHand = funnelByHand(records.filter((r) => r.ruleId === 'welcome'), behavior);
    expect(byHand).toEqual({ entered: 6, sent: { 'email-1': 3, 'email-2': 1 }, clicked: 2, converted: 3 });
    expect(welcome.funnel).toEqual([
      { label: 'entered', count: byHand.entered },
      { label: 'email-1 sent', count: byHand.sent['email-1'] },
      { label: 'email-2 sent', count: byHand.sent['email-2'] },
      { label: 'clicked', count: byHand.clicked },
      { label: 'converted', count: byHand.converted },
    ]);
    expect(welcome.steps).toEqual([
      { stepId: 'email-1', channel: 'email', sent: 3, outcomeUnknown: 0, skipped: { no_consent: 1, holdout: 2 } },
      { stepId: 'email-2', channel: 'email', sent: 1, outcomeUnknown: 1, skipped: { quiet_hours: 1, no_consent: 1, holdout: 2 } },
    ]);
  });

  it('a record loaded twice (a replay, an export next to the stream) counts once', async () => {
    const { rules } = await reportOf([...records, ...records.slice(0, 5)]);
    expect(rules[0]!.funnel.map((s) => s.count)).toEqual([6, 3, 1, 2, 3]);
  });

  it('a behavior event loaded twice is one event of a path', async () => {
    const once = (await reportOf()).rules[0]!.paths;
    store!.close();
    const twice = (await reportOf(records, [...behavior, ...behavior])).rules[0]!.paths;
    expect(twice).toEqual(once);
    expect(twice.intoEntry[0]!.events).toEqual(['page_viewed', 'product_viewed', 'cart_abandoned']);
  });

  it('rates and uplift per group; holdout conversions are counted; variants side by side', async () => {
    const welcome = (await reportOf()).rules[0]!;
    expect(welcome.entered).toEqual({ treatment: 4, control: 2 });
    expect(welcome.converted).toEqual({ treatment: 2, control: 1 });
    expect(welcome.rates.treatment).toMatchObject({ x: 2, n: 4, rate: 0.5 });
    expect(welcome.rates.control).toMatchObject({ x: 1, n: 2, rate: 0.5 });
    expect(welcome.uplift).toMatchObject({ difference: 0, verdict: 'too_small' });
    expect(welcome.variants.map((v) => [v.splitId, v.variant, v.x, v.n])).toEqual([['split', 'A', 1, 2], ['split', 'B', 1, 2]]);
  });

  it('time to convert in buckets with median and p90; entries and conversions per hour', async () => {
    const welcome = (await reportOf()).rules[0]!;
    const nonEmpty = welcome.timeToConvert.buckets.filter((b) => b.treatment + b.control > 0);
    expect(nonEmpty).toEqual([
      { label: '< 1 h', treatment: 1, control: 0 },
      { label: '1–2 d', treatment: 1, control: 0 },
      { label: '3–7 d', treatment: 0, control: 1 },
    ]);
    expect(welcome.timeToConvert.medianMs).toBe(30 * H);
    expect(welcome.overTime.bucketMs).toBe(H);
    const entries = Object.fromEntries(welcome.overTime.points.filter((p) => p.entries).map((p) => [p.at, p.entries]));
    expect(entries).toEqual({ '2026-03-01T09:00:00.000Z': 2, '2026-03-01T10:00:00.000Z': 2, '2026-03-01T11:00:00.000Z': 1, '2026-03-01T12:00:00.000Z': 1 });
    expect(welcome.overTime.points.reduce((sum, p) => sum + p.conversions, 0)).toBe(3);
  });

  it('behavior paths into entry (last 3 events up to entry) and from entry to conversion', async () => {
    const welcome = (await reportOf()).rules[0]!;
    expect(welcome.paths.intoEntry).toEqual([
      { events: ['page_viewed', 'product_viewed', 'cart_abandoned'], journeys: 1 },
      { events: ['product_viewed', 'cart_abandoned'], journeys: 1 },
    ]);
    expect(welcome.paths.toConversion).toEqual([
      { events: [], journeys: 1 },
      { events: ['email_clicked', 'email_clicked'], journeys: 1 },
      { events: ['email_opened'], journeys: 1 },
    ]);
  });
});
