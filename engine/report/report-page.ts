/**
 * The report page: one section per rule and version with the uplift verdict in words, the funnel's
 * numbers as a table (what a reader copies, and what the browser test reads) and the charts as inline
 * SVG. A static document: no script, so the same HTML is served by `nudge report --serve` and written
 * by `nudge simulate --report out.html`.
 */
import { funnelChart, overTimeChart, pathsSankey, ratesChart, stepsChart, timeToConvertChart } from './report-charts';
import type { ReportNumbers, RuleReport } from './report-numbers';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);
const duration = (ms: number | null) => (ms === null ? '–' : ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : ms < 172_800_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${(ms / 86_400_000).toFixed(1)} d`);

export interface ReportPageOptions {
  title: string;
  /** Where the numbers came from (shown under the title). */
  source: string;
  generatedAt: Date;
}

export function renderReportPage(numbers: ReportNumbers, options: ReportPageOptions): string {
  const sections = numbers.rules.length ? numbers.rules.map(ruleSection).join('\n') : '<p class="empty">No journey events yet: nothing has entered a journey in this log.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(options.title)}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1500px; color: #222; background: #fff; }
  h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 18px; margin-top: 36px; border-bottom: 1px solid #ddd; }
  .source { color: #666; } .verdict { font-size: 15px; padding: 8px 12px; border-left: 4px solid #5470c6; background: #f4f6fb; }
  .verdict.too_small, .verdict.inconclusive, .verdict.no_control { border-color: #999; } .verdict.loss { border-color: #ee6666; } .verdict.uplift { border-color: #3ba272; }
  table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; } th:first-child, td:first-child { text-align: left; }
  .charts { display: flex; flex-wrap: wrap; gap: 12px; } .charts > figure { margin: 0; border: 1px solid #eee; }
</style></head>
<body>
<h1>${escape(options.title)}</h1>
<p class="source">${escape(options.source)} · generated ${escape(options.generatedAt.toISOString())}</p>
${sections}
</body></html>
`;
}

function ruleSection(report: RuleReport): string {
  const id = `${report.ruleId}@${report.ruleVersion}`;
  const funnelRows = report.funnel.map((stage) => `<tr data-stage="${escape(stage.label)}"><td>${escape(stage.label)}</td><td class="count">${stage.count}</td></tr>`).join('');
  const group = (name: 'treatment' | 'control') => {
    const rate = report.rates[name];
    return `<tr data-group="${name}"><td>${name}</td><td>${report.entered[name]}</td><td>${report.converted[name]}</td><td>${pct(rate.rate)}</td><td>${pct(rate.low)} – ${pct(rate.high)}</td></tr>`;
  };
  const variants = report.variants.map((v) => `<tr data-variant="${escape(`${v.splitId}:${v.variant}`)}"><td>${escape(`${v.splitId}: ${v.variant}`)}</td><td>${v.n}</td><td>${v.x}</td><td>${pct(v.rate)}</td><td>${pct(v.low)} – ${pct(v.high)}</td></tr>`).join('');
  const sankey = pathsSankey(report);
  const charts = [funnelChart(report), stepsChart(report), ratesChart(report), timeToConvertChart(report), overTimeChart(report), sankey ?? '<p class="empty">No behavior events loaded: no paths to show.</p>'];
  return `<section data-rule="${escape(id)}">
<h2>${escape(report.ruleId)} <small>version ${report.ruleVersion}</small></h2>
<p class="verdict ${report.uplift.verdict}">${escape(report.uplift.summary)}</p>
<div class="charts">${charts.map((c) => `<figure>${c}</figure>`).join('')}</div>
<table class="funnel"><thead><tr><th>funnel stage</th><th>journeys</th></tr></thead><tbody>${funnelRows}</tbody></table>
<table class="rates"><thead><tr><th>group / variant</th><th>entered</th><th>converted</th><th>rate</th><th>95% interval (Wilson)</th></tr></thead>
<tbody>${group('treatment')}${group('control')}${variants}</tbody></table>
<p>Time to convert: median ${duration(report.timeToConvert.medianMs)}, 90th percentile ${duration(report.timeToConvert.p90Ms)}. Uplift interval: Newcombe's hybrid score interval (from the two Wilson intervals).</p>
</section>`;
}
