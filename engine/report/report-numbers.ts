/**
 * The report's numbers per rule and version, from the sealed store: the funnel, the rates per group and
 * the uplift, split variants, time to convert, entries and conversions over time, and behavior paths.
 * `nudge report --json` prints exactly this; the page draws it.
 */
import type { ReportStore } from './report-store';
import * as sql from './report-queries';
import { uplift, wilsonInterval, type RateInterval, type Uplift } from './uplift';

export interface StepNumbers {
  stepId: string;
  channel: string | null;
  sent: number;
  outcomeUnknown: number;
  /** Skips by reason (holdout, quiet_hours, no_consent…). */
  skipped: Record<string, number>;
}

export interface FunnelStage {
  label: string;
  count: number;
}

export interface VariantNumbers extends RateInterval {
  splitId: string;
  variant: string;
}

export interface PathCount {
  /** Behavior event names in time order. */
  events: string[];
  journeys: number;
}

export interface RuleReport {
  ruleId: string;
  ruleVersion: number;
  entered: { treatment: number; control: number };
  converted: { treatment: number; control: number };
  clicked: { treatment: number; control: number };
  /** entered → each step sent → clicked → converted (treatment and control together). */
  funnel: FunnelStage[];
  steps: StepNumbers[];
  rates: { treatment: RateInterval; control: RateInterval };
  uplift: Uplift;
  variants: VariantNumbers[];
  timeToConvert: { buckets: { label: string; treatment: number; control: number }[]; medianMs: number | null; p90Ms: number | null };
  overTime: { bucketMs: number; points: { at: string; entries: number; conversions: number }[] };
  paths: { intoEntry: PathCount[]; toConversion: PathCount[] };
}

export interface ReportNumbers {
  rules: RuleReport[];
}

type Key = { rule_id: string; rule_version: number };
const keyOf = (row: Key) => `${row.rule_id}\u0000${row.rule_version}`;
const num = (value: unknown) => (value === null || value === undefined ? 0 : Number(value));

/** The numbers of every rule and version in the store, sorted by rule id then version. */
export async function buildReportNumbers(store: ReportStore): Promise<ReportNumbers> {
  // One after the other: a DuckDB connection runs one query at a time.
  const groups = await store.query<Key & { grp: string; entered: number; converted: number }>(sql.GROUPS_SQL);
  const steps = await store.query<Key & { step_id: string; kind: string; reason: string; channel: string | null; n: number; first_seq: number }>(sql.STEPS_SQL);
  const clicked = await store.query<Key & { grp: string; clicked: number }>(sql.CLICKED_SQL);
  const variants = await store.query<Key & { split_id: string; variant: string; entered: number; converted: number }>(sql.VARIANTS_SQL);
  const ttc = await store.query<Key & { grp: string; bucket: number; n: number }>(sql.TIME_TO_CONVERT_SQL);
  const quantiles = await store.query<Key & { median_ms: number | null; p90_ms: number | null }>(sql.TIME_TO_CONVERT_QUANTILES_SQL);
  const overTime = await store.query<Key & { width: number; t: number; entries: number; conversions: number }>(sql.OVER_TIME_SQL);
  const paths = await store.query<Key & { direction: string; path: string[]; n: number }>(sql.PATHS_SQL);

  const reports = new Map<string, RuleReport>();
  const reportOf = (row: Key): RuleReport => {
    const key = keyOf(row);
    let report = reports.get(key);
    if (!report) {
      report = emptyReport(row.rule_id, num(row.rule_version));
      reports.set(key, report);
    }
    return report;
  };
  const group = (grp: string): 'treatment' | 'control' => (grp === 'control' ? 'control' : 'treatment');

  for (const row of groups) {
    const report = reportOf(row);
    report.entered[group(row.grp)] += num(row.entered);
    report.converted[group(row.grp)] += num(row.converted);
  }
  for (const row of clicked) reportOf(row).clicked[group(row.grp)] += num(row.clicked);

  const firstSeq = new Map<string, number>();
  for (const row of steps) {
    const report = reportOf(row);
    let step = report.steps.find((s) => s.stepId === row.step_id);
    if (!step) {
      step = { stepId: row.step_id, channel: row.channel, sent: 0, outcomeUnknown: 0, skipped: {} };
      report.steps.push(step);
    }
    const stepKey = `${keyOf(row)}\u0000${row.step_id}`;
    firstSeq.set(stepKey, Math.min(firstSeq.get(stepKey) ?? Infinity, num(row.first_seq)));
    if (row.kind === 'step_sent') step.sent += num(row.n);
    else if (row.kind === 'step_outcome_unknown') step.outcomeUnknown += num(row.n);
    else step.skipped[row.reason] = (step.skipped[row.reason] ?? 0) + num(row.n);
  }

  for (const row of variants) {
    reportOf(row).variants.push({ splitId: row.split_id, variant: row.variant, ...wilsonInterval(num(row.converted), num(row.entered)) });
  }
  for (const row of ttc) {
    reportOf(row).timeToConvert.buckets[num(row.bucket)]![group(row.grp)] += num(row.n);
  }
  for (const row of quantiles) {
    const report = reportOf(row);
    report.timeToConvert.medianMs = row.median_ms === null ? null : num(row.median_ms);
    report.timeToConvert.p90Ms = row.p90_ms === null ? null : num(row.p90_ms);
  }
  for (const row of overTime) {
    const report = reportOf(row);
    report.overTime.bucketMs = num(row.width);
    report.overTime.points.push({ at: new Date(num(row.t)).toISOString(), entries: num(row.entries), conversions: num(row.conversions) });
  }
  for (const row of paths) {
    const list = row.direction === 'into_entry' ? reportOf(row).paths.intoEntry : reportOf(row).paths.toConversion;
    list.push({ events: row.path, journeys: num(row.n) });
  }

  for (const [key, report] of reports) {
    const seqOf = (stepId: string) => firstSeq.get(`${key}\u0000${stepId}`) ?? Infinity;
    report.steps.sort((a, b) => seqOf(a.stepId) - seqOf(b.stepId) || a.stepId.localeCompare(b.stepId));
    report.variants.sort((a, b) => a.splitId.localeCompare(b.splitId) || a.variant.localeCompare(b.variant));
    const total = (pair: { treatment: number; control: number }) => pair.treatment + pair.control;
    report.funnel = [
      { label: 'entered', count: total(report.entered) },
      ...report.steps.map((step) => ({ label: `${step.stepId} sent`, count: step.sent })),
      { label: 'clicked', count: total(report.clicked) },
      { label: 'converted', count: total(report.converted) },
    ];
    report.rates = { treatment: wilsonInterval(report.converted.treatment, report.entered.treatment), control: wilsonInterval(report.converted.control, report.entered.control) };
    report.uplift = uplift({ x: report.converted.treatment, n: report.entered.treatment }, { x: report.converted.control, n: report.entered.control });
  }
  return { rules: [...reports.values()].sort((a, b) => a.ruleId.localeCompare(b.ruleId) || a.ruleVersion - b.ruleVersion) };
}

function emptyReport(ruleId: string, ruleVersion: number): RuleReport {
  return {
    ruleId,
    ruleVersion,
    entered: { treatment: 0, control: 0 },
    converted: { treatment: 0, control: 0 },
    clicked: { treatment: 0, control: 0 },
    funnel: [],
    steps: [],
    rates: { treatment: wilsonInterval(0, 0), control: wilsonInterval(0, 0) },
    uplift: uplift({ x: 0, n: 0 }, { x: 0, n: 0 }),
    variants: [],
    timeToConvert: { buckets: sql.TIME_TO_CONVERT_BUCKETS.map((b) => ({ label: b.label, treatment: 0, control: 0 })), medianMs: null, p90Ms: null },
    overTime: { bucketMs: 86_400_000, points: [] },
    paths: { intoEntry: [], toConversion: [] },
  };
}
