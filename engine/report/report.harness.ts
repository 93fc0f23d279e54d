/**
 * Journey event records and behavior events for report tests, built like the machine writes them (one
 * enter, step records, a conversion, an exit per journey), and the funnel counted straight from the
 * records in TS — the independent route the tests compare the store's SQL with.
 */
import type { JourneyEventRecord, JourneyGroup } from '../../workflows/journey/journey-event-record';
import type { ReportBehaviorEvent } from './report-store';

export interface JourneyPlan {
  person: string;
  group: JourneyGroup;
  enteredAt: number;
  /** Per email step in order: sent, or skipped with this reason. */
  steps: ('sent' | { skipped: string } | 'unknown')[];
  convertedAfterMs?: number;
  variant?: string;
  ruleId?: string;
  ruleVersion?: number;
}

export function journeyRecords(plan: JourneyPlan): JourneyEventRecord[] {
  const journeyId = `${plan.ruleId ?? 'welcome'}-${plan.person}`;
  const meta = { v: 1 as const, journeyId, personId: plan.person, ruleId: plan.ruleId ?? 'welcome', ruleVersion: plan.ruleVersion ?? 1, group: plan.group };
  const iso = (ms: number) => new Date(ms).toISOString();
  let seq = 0;
  const common = (kind: JourneyEventRecord['kind'], at: number, stepId: string | null) => ({ ...meta, id: `${journeyId}/${seq}/${kind}`, seq: seq++, stepId, occurredAt: iso(at), recordedAt: iso(at) });
  const records: JourneyEventRecord[] = [
    { ...common('enter', plan.enteredAt, null), kind: 'enter', variants: plan.variant ? { split: plan.variant } : {}, goal: { event: 'order_completed', windowEndsAt: iso(plan.enteredAt + 7 * 86_400_000) } },
  ];
  plan.steps.forEach((step, i) => {
    const at = plan.enteredAt + (i + 1) * 3_600_000;
    const stepId = `email-${i + 1}`;
    if (step === 'sent') records.push({ ...common('step_sent', at, stepId), kind: 'step_sent', channel: 'email', details: {} });
    else if (step === 'unknown') records.push({ ...common('step_outcome_unknown', at, stepId), kind: 'step_outcome_unknown', channel: 'email', detail: null });
    else records.push({ ...common('step_skipped', at, stepId), kind: 'step_skipped', channel: 'email', reason: step.skipped, detail: null });
  });
  let converted = false;
  if (plan.convertedAfterMs !== undefined) {
    converted = true;
    const at = plan.enteredAt + plan.convertedAfterMs;
    records.push({ ...common('converted', at, null), kind: 'converted', goalEvent: 'order_completed', goalMessageId: `order-${plan.person}`, enteredAt: iso(plan.enteredAt), timeToConvertMs: plan.convertedAfterMs, lastMessage: null });
  }
  records.push({ ...common('exit', plan.enteredAt + 8 * 86_400_000, null), kind: 'exit', reason: 'completed', converted });
  return records;
}

export const clickOf = (plan: JourneyPlan, atMs: number): ReportBehaviorEvent => ({ personId: plan.person, event: 'email_clicked', at: plan.enteredAt + atMs, journeyId: `${plan.ruleId ?? 'welcome'}-${plan.person}` });

/** The funnel of one rule counted in TS from the records and events: the test's independent route. */
export function funnelByHand(records: readonly JourneyEventRecord[], behavior: readonly ReportBehaviorEvent[]) {
  const unique = [...new Map(records.map((r) => [r.id, r])).values()];
  const journeys = new Set(unique.map((r) => r.journeyId));
  const sentByStep = new Map<string, number>();
  for (const r of unique) if (r.kind === 'step_sent') sentByStep.set(r.stepId!, (sentByStep.get(r.stepId!) ?? 0) + 1);
  return {
    entered: unique.filter((r) => r.kind === 'enter').length,
    sent: Object.fromEntries([...sentByStep].sort()),
    clicked: new Set(behavior.filter((b) => b.event.endsWith('_clicked') && b.journeyId !== null && journeys.has(b.journeyId)).map((b) => b.journeyId)).size,
    converted: unique.filter((r) => r.kind === 'converted').length,
  };
}
