/**
 * The report's charts: Apache ECharts rendered to SVG on the server (its SSR mode: no DOM, no browser
 * script), one function per chart from a rule's numbers. Each chart is disposed after rendering, which
 * also stops ECharts' animation timer (else it keeps the process alive).
 */
import * as echarts from 'echarts';
import type { PathCount, RuleReport } from './report-numbers';

const WIDTH = 720;
const HEIGHT = 340;
const pct = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);

function render(option: echarts.EChartsCoreOption, height = HEIGHT): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    chart.setOption({ animation: false, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Entered → each step sent → clicked → converted. */
export function funnelChart(report: RuleReport): string {
  return render({
    title: { text: 'Funnel (journeys)', left: 'center', textStyle: { fontSize: 14 } },
    series: [{
      type: 'funnel', sort: 'none', left: '15%', width: '70%', top: 40, bottom: 10, minSize: '8%', gap: 2,
      label: { show: true, position: 'inside', formatter: '{b}: {c}' },
      data: report.funnel.map((stage) => ({ name: stage.label, value: stage.count })),
    }],
  });
}

/** Each action step: sent, outcome unknown and skipped by reason, stacked. */
export function stepsChart(report: RuleReport): string {
  const reasons = [...new Set(report.steps.flatMap((s) => Object.keys(s.skipped)))].sort();
  const series = [
    { name: 'sent', data: report.steps.map((s) => s.sent) },
    { name: 'outcome unknown', data: report.steps.map((s) => s.outcomeUnknown) },
    ...reasons.map((reason) => ({ name: `skipped: ${reason}`, data: report.steps.map((s) => s.skipped[reason] ?? 0) })),
  ].map((s) => ({ ...s, type: 'bar', stack: 'step', label: { show: true, formatter: (p: { value: number }) => (p.value ? String(p.value) : '') } }));
  return render({
    title: { text: 'Each step: sent / skipped by reason', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0 }, grid: { left: 110, right: 20, top: 40, bottom: 60 },
    yAxis: { type: 'category', data: report.steps.map((s) => s.stepId), inverse: true }, xAxis: { type: 'value' },
    series,
  });
}

/** Conversion rate per group and per split variant, with the Wilson 95% interval as an error bar. */
export function ratesChart(report: RuleReport): string {
  const rows = [
    { name: 'treatment', ...report.rates.treatment },
    { name: 'control', ...report.rates.control },
    ...report.variants.map((v) => ({ ...v, name: `${v.splitId}: ${v.variant}` })),
  ];
  return render({
    title: { text: 'Conversion rate with 95% interval (Wilson)', left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 60, right: 20, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: rows.map((r) => `${r.name} (n=${r.n})`) },
    // Up to the highest interval bound, so no error bar is cut off.
    yAxis: { type: 'value', min: 0, max: Math.min(1, Math.ceil(Math.max(0.01, ...rows.map((r) => r.high ?? 0)) * 10) / 10), axisLabel: { formatter: (v: number) => pct(v) } },
    series: [
      { type: 'bar', barMaxWidth: 60, data: rows.map((r) => r.rate ?? 0), label: { show: true, position: 'insideBottom', formatter: (p: { dataIndex: number }) => pct(rows[p.dataIndex]!.rate) } },
      {
        type: 'custom', name: '95% interval', z: 10,
        data: rows.map((r, i) => [i, r.low ?? 0, r.high ?? 0]),
        renderItem: (_params: unknown, api: { value(i: number): number; coord(p: number[]): number[]; size(p: number[]): number[] }) => {
          const low = api.coord([api.value(0), api.value(1)]);
          const high = api.coord([api.value(0), api.value(2)]);
          const half = api.size([1, 0])[0]! * 0.12;
          const style = { stroke: '#333', lineWidth: 1.5 };
          const line = (x1: number, y1: number, x2: number, y2: number) => ({ type: 'line', shape: { x1, y1, x2, y2 }, style });
          return { type: 'group', children: [line(high[0]!, high[1]!, low[0]!, low[1]!), line(high[0]! - half, high[1]!, high[0]! + half, high[1]!), line(low[0]! - half, low[1]!, low[0]! + half, low[1]!)] };
        },
      },
    ],
  });
}

/** Time from entry to conversion, by bucket, treatment and control stacked. */
export function timeToConvertChart(report: RuleReport): string {
  const buckets = report.timeToConvert.buckets;
  return render({
    title: { text: 'Time to convert', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'category', data: buckets.map((b) => b.label) }, yAxis: { type: 'value', minInterval: 1 },
    series: (['treatment', 'control'] as const).map((group) => ({ name: group, type: 'bar', stack: 'ttc', data: buckets.map((b) => b[group]) })),
  });
}

/** Entries and conversions per hour or day. */
export function overTimeChart(report: RuleReport): string {
  const points = report.overTime.points;
  const unit = report.overTime.bucketMs === 3_600_000 ? 'hour' : 'day';
  return render({
    title: { text: `Entries and conversions per ${unit}`, left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'time' }, yAxis: { type: 'value', minInterval: 1 },
    series: (['entries', 'conversions'] as const).map((name) => ({ name, type: 'line', showSymbol: points.length < 50, data: points.map((p) => [p.at, p[name]]) })),
  });
}

/**
 * The most common behavior paths into entry and from entry to conversion as one Sankey: nodes are
 * (position, event), positions −3…−1 before "entered" and +1…+3 after it, so the graph has no cycle
 * even when an event repeats.
 */
export function pathsSankey(report: RuleReport): string | null {
  const { intoEntry, toConversion } = report.paths;
  if (intoEntry.length === 0 && toConversion.length === 0) return null;
  const links = new Map<string, number>();
  const add = (from: string, to: string, value: number) => links.set(`${from}\u0000${to}`, (links.get(`${from}\u0000${to}`) ?? 0) + value);
  const chain = (nodes: string[], value: number) => nodes.slice(1).forEach((node, i) => add(nodes[i]!, node, value));
  for (const path of intoEntry) chain([...path.events.map((e, i) => `${i - path.events.length} ${e}`), 'entered'], path.journeys);
  for (const path of toConversion) chain(['entered', ...path.events.map((e, i) => `+${i + 1} ${e}`), 'converted'], path.journeys);
  const names = new Set([...links.keys()].flatMap((key) => key.split('\u0000')));
  return render({
    title: { text: 'Behavior paths: into entry, and from entry to conversion', left: 'center', textStyle: { fontSize: 14 } },
    series: [{
      type: 'sankey', top: 40, bottom: 20, left: 20, right: 120, nodeAlign: 'justify', emphasis: { focus: 'adjacency' },
      label: { formatter: (p: { name: string }) => p.name.replace(/^[+−-]\d+ /, '') },
      data: [...names].map((name) => ({ name })),
      links: [...links].map(([key, value]) => {
        const [source, target] = key.split('\u0000');
        return { source, target, value };
      }),
    }],
  }, 400);
}

export type { PathCount };
