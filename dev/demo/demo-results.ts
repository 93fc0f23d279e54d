/**
 * What the demo prints after the story has played, read where an operator would read it: the
 * conversions from the report's numbers (`/report.json`, what the page draws) and a person's model
 * scores from `nudge profile` (runProfile's text, its "scores" section).
 */
import type { Config } from '../../platform/config';
import type { Rule } from '../../rules/schema/rule';
import { runProfile } from '../../engine/profile/profile-command';
import type { ReportNumbers, RuleReport } from '../../engine/report/report-numbers';

/** The report's numbers as its server answers them. */
export async function fetchReportNumbers(reportUrl: string): Promise<ReportNumbers> {
  const response = await fetch(`${reportUrl}/report.json`);
  if (!response.ok) throw new Error(`the report answered ${response.status} at ${reportUrl}/report.json: ${(await response.text()).trim()}`);
  return (await response.json()) as ReportNumbers;
}

/** Conversions (treatment and control) of every version of the rules. */
export const conversionsOf = (numbers: ReportNumbers, ruleIds: readonly string[]): number =>
  numbers.rules.filter((r) => ruleIds.includes(r.ruleId)).reduce((sum, r) => sum + r.converted.treatment + r.converted.control, 0);

/**
 * The report's numbers once the goal-bearing rules count at least `expected` conversions; the journeys
 * record a conversion as the goal event reaches them, so the last ones can trail the story by a moment.
 * After `timeoutMs` the numbers as they are (the demo prints them and says it did not go as expected).
 */
export async function reportAfterConversions(reportUrl: string, ruleIds: string[], expected: number, timeoutMs: number): Promise<ReportNumbers> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const numbers = await fetchReportNumbers(reportUrl);
    if (conversionsOf(numbers, ruleIds) >= expected || Date.now() >= deadline) return numbers;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** One line per rule: entered and converted as the report counts them, and the goal it counts. */
export function conversionLines(numbers: ReportNumbers, rules: readonly Rule[]): string[] {
  return rules.map((rule) => {
    const versions = numbers.rules.filter((r) => r.ruleId === rule.id);
    const total = (pick: (r: RuleReport) => { treatment: number; control: number }) => versions.reduce((sum, r) => sum + pick(r).treatment + pick(r).control, 0);
    const goal = rule.goal ? `goal ${rule.goal.event} within ${rule.goal.within} of entry` : 'no goal, so no conversions are counted';
    return `${rule.id.padEnd(20)} entered ${total((r) => r.entered)}, converted ${total((r) => r.converted)}, clicked ${total((r) => r.clicked)}  (${goal})`;
  });
}

/** The "scores" section of `nudge profile <id>` (its rows, trimmed); empty when no model is trained or there is no profile. */
export async function profileScoreRows(config: Config, id: string): Promise<string[]> {
  let text = '';
  if ((await runProfile(config, id, {}, (t) => (text += t))) !== 0) return [];
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('scores'));
  if (start < 0) return [];
  const rows: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('  ')) break;
    rows.push(line.trim());
  }
  return rows;
}
