/**
 * The model card (`nudge train --report out.html`): one static HTML page with the ROC curve, the
 * calibration plot and the lift chart of the evaluation period, the feature importances and the
 * training and evaluation periods. Charts are Apache ECharts rendered to SVG on the server (SSR: no
 * DOM, no script in the page); each chart is disposed after rendering, which also stops ECharts'
 * animation timer (else it keeps the process alive).
 */
import * as echarts from 'echarts';
import type { TrainedModel } from '../../rules/schema/trained-model';

const WIDTH = 560;
const HEIGHT = 360;

function render(option: echarts.EChartsCoreOption): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption({ animation: false, grid: { left: 60, right: 20, top: 50, bottom: 50 }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const axis = (name: string, max?: number) => ({ type: 'value', name, nameLocation: 'middle', nameGap: 30, min: 0, ...(max !== undefined ? { max } : {}) });
const diagonal = { name: 'chance', type: 'line', data: [[0, 0], [1, 1]], symbol: 'none', lineStyle: { type: 'dashed', color: '#999' } };

export function rocChart(model: TrainedModel): string {
  const held = model.metrics.evaluate;
  return render({
    title: { text: `ROC (evaluation period), AUC ${held.auc.toFixed(3)}`, left: 'center', textStyle: { fontSize: 14 } },
    xAxis: axis('false positive rate', 1),
    yAxis: axis('true positive rate', 1),
    series: [{ name: 'model', type: 'line', data: held.roc, symbol: 'none' }, diagonal],
  });
}

/** Mean score against the observed rate, per decile: on the diagonal when the scores are calibrated. */
export function calibrationChart(model: TrainedModel): string {
  const deciles = model.metrics.evaluate.deciles.filter((d) => d.count > 0);
  const top = Math.min(1, Math.ceil(Math.max(0.05, ...deciles.flatMap((d) => [d.meanScore, d.positiveRate])) * 11) / 10);
  return render({
    title: { text: `Calibration by decile, largest gap ${model.metrics.evaluate.calibrationError.toFixed(3)}`, left: 'center', textStyle: { fontSize: 14 } },
    xAxis: axis('mean score', top),
    yAxis: axis('observed rate', top),
    series: [{ name: 'deciles', type: 'line', data: deciles.map((d) => [d.meanScore, d.positiveRate]), symbolSize: 8 }, { ...diagonal, data: [[0, 0], [top, top]] }],
  });
}

export function liftChart(model: TrainedModel): string {
  const deciles = model.metrics.evaluate.deciles;
  return render({
    title: { text: 'Lift by decile (1 = highest scores)', left: 'center', textStyle: { fontSize: 14 } },
    xAxis: { type: 'category', name: 'decile', nameLocation: 'middle', nameGap: 30, data: deciles.map((d) => String(d.decile)) },
    yAxis: axis('lift over the base rate'),
    series: [{ type: 'bar', data: deciles.map((d) => Number(d.lift.toFixed(3))), label: { show: true, position: 'top', formatter: '{c}' } }],
  });
}

/** |weight| on standardised columns: how far one standard deviation of a column moves the log-odds. */
export function importances(model: TrainedModel): { column: string; weight: number; importance: number }[] {
  return model.columns.map((column, i) => ({ column, weight: model.weights[i]!, importance: Math.abs(model.weights[i]!) })).sort((a, b) => b.importance - a.importance);
}

export function importanceChart(model: TrainedModel): string {
  const rows = importances(model).reverse();
  return render({
    title: { text: 'Feature importance (|weight| per standard deviation; sign in the table)', left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 150, right: 30, top: 50, bottom: 40 },
    xAxis: axis('log-odds per standard deviation'),
    yAxis: { type: 'category', data: rows.map((r) => r.column) },
    series: [{ type: 'bar', data: rows.map((r) => Number(r.importance.toFixed(3))) }],
  });
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function modelCardHtml(model: TrainedModel): string {
  const { train, evaluate } = model.training;
  const m = model.metrics;
  const f = (x: number) => x.toFixed(3);
  const label = 'noActivity' in model.label ? `no activity for ${model.label.noActivity} (churn)` : `${model.label.event} within ${model.label.within}`;
  const importanceRows = importances(model).map((r) => `<tr><td>${escape(r.column)}</td><td>${f(r.weight)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Model card: ${escape(model.id)} v${model.version}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}.charts{display:flex;flex-wrap:wrap;gap:1rem}</style></head>
<body>
<h1>Model card: ${escape(model.id)} v${model.version}</h1>
<p>Predicts <b>${escape(label)}</b>. ${escape(model.algorithm)}. Trained ${escape(model.trainedAt)} from ${escape(model.training.source)}.</p>
<table>
<tr><th>period</th><th>from</th><th>to</th><th>snapshots</th><th>rows</th><th>positive</th><th>AUC</th><th>log-loss</th><th>calibration error</th></tr>
<tr><td>training</td><td>${escape(train.from)}</td><td>${escape(train.to)}</td><td>${train.snapshots}</td><td>${m.train.rows}</td><td>${m.train.positives}</td><td>${f(m.train.auc)}</td><td>${f(m.train.logLoss)}</td><td>${f(m.train.calibrationError)}</td></tr>
<tr><td>evaluation</td><td>${escape(evaluate.from)}</td><td>${escape(evaluate.to)}</td><td>${evaluate.snapshots}</td><td>${m.evaluate.rows}</td><td>${m.evaluate.positives}</td><td>${f(m.evaluate.auc)}</td><td>${f(m.evaluate.logLoss)}</td><td>${f(m.evaluate.calibrationError)}</td></tr>
</table>
<p>Features are computed from behavior up to each snapshot, labels from behavior after it; every evaluation snapshot comes after the last training label period ends.</p>
<div class="charts">${rocChart(model)}${calibrationChart(model)}${liftChart(model)}${importanceChart(model)}</div>
<h2>Weights (standardised columns)</h2>
<table><tr><th>column</th><th>weight</th></tr>${importanceRows}</table>
</body></html>
`;
}
