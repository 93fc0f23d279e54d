/**
 * `nudge report` over a large journey event log, against bare costs measured in the same run (issue 15):
 *  - numbers: seal the store (each record id once) and build every number the page shows (funnel,
 *    groups and uplift, variants, time to convert, over time, behavior paths) over --records journey
 *    event records (default 10M: 2M journeys × 5 records, 5 rules) and --behavior behavior events.
 *    The records are generated straight into DuckDB by SQL (streaming 10M records through NATS takes
 *    minutes here, and the question is the store's query time). Baseline: one bare scan of the same
 *    table (count and sum of a column).
 *  - load: --stream-records records published to nudge_journey_events on a nats-server of the bench's
 *    own (benchmarks/report-stream-load.ts), read bare with the same consumer against the report's
 *    stream source loading them into the store (JSON, schema check, each id once, append).
 * Usage: npx tsx benchmarks/report-throughput.ts [--records 10000000] [--behavior 2000000] [--stream-records 1000000]
 */
import { buildReportNumbers } from '../engine/report/report-numbers';
import { ReportStore } from '../engine/report/report-store';
import { arg, machineLoad } from './bench-support';
import { streamLoadFigures } from './report-stream-load';

const RECORDS = arg('records', 10_000_000);
const BEHAVIOR = arg('behavior', 2_000_000);
const STREAM_RECORDS = arg('stream-records', 1_000_000);
const T0 = Date.parse('2026-01-01T00:00:00Z');

async function numbersOverGeneratedLog() {
  const store = await ReportStore.open();
  const journeys = Math.floor(RECORDS / 5);
  let started = performance.now();
  // Record k of journey j: 0 enter, 1 email-1 (sent; control: skipped holdout), 2 email-2 (sent, or skipped
  // quiet_hours), 3 converted (1 in 7 journeys) or a wait, 4 exit. One person per journey.
  await store.connection.run(`
    INSERT INTO journey_staging
    SELECT j || '/' || k || '/' || kind AS id, k AS seq, kind, 'j' || j AS journey_id, 'p' || j AS person_id,
      'rule-' || (j % 5) AS rule_id, 1 + (j % 2) AS rule_version, CASE WHEN j % 11 = 0 THEN 'control' ELSE 'treatment' END AS grp,
      CASE WHEN k IN (1, 2) THEN 'email-' || k END AS step_id, CASE WHEN k IN (1, 2) THEN 'email' END AS channel,
      CASE WHEN kind = 'step_skipped' THEN (CASE WHEN j % 11 = 0 THEN 'holdout' ELSE 'quiet_hours' END) WHEN kind = 'exit' THEN 'completed' END AS reason,
      NULL AS branch, ${T0} + j * 1000 + k * 3600000 AS at_ms,
      CASE WHEN kind = 'converted' THEN 3 * 3600000 + (j % 50) * 600000 END AS time_to_convert_ms,
      CASE WHEN k = 0 THEN (CASE WHEN j % 2 = 0 THEN '{"split":"A"}' ELSE '{"split":"B"}' END) END AS variants
    FROM (SELECT i // 5 AS j, i % 5 AS k,
      CASE i % 5 WHEN 0 THEN 'enter' WHEN 1 THEN (CASE WHEN (i // 5) % 11 = 0 THEN 'step_skipped' ELSE 'step_sent' END)
        WHEN 2 THEN (CASE WHEN (i // 5) % 11 = 0 OR (i // 5) % 9 = 0 THEN 'step_skipped' ELSE 'step_sent' END)
        WHEN 3 THEN (CASE WHEN (i // 5) % 7 = 0 THEN 'converted' ELSE 'wait_started' END) ELSE 'exit' END AS kind
      FROM range(${journeys * 5}) t(i));
    INSERT INTO behavior_staging
    SELECT 'p' || ((i * 7919) % ${journeys}), ['product_viewed', 'product_added', 'email_clicked', 'page_viewed'][1 + i % 4],
      ${T0} + ((i * 7919) % ${journeys}) * 1000 + (i % 6 - 3) * 1800000, CASE WHEN i % 4 = 2 THEN 'j' || ((i * 7919) % ${journeys}) END
    FROM range(${BEHAVIOR}) t(i);`);
  const generateMs = performance.now() - started;

  started = performance.now();
  await store.seal();
  const numbers = await buildReportNumbers(store);
  const numbersMs = performance.now() - started;

  started = performance.now();
  const [scan] = await store.query<{ n: number; total: number }>('SELECT count(*) AS n, sum(at_ms) AS total FROM journey_events');
  const scanMs = performance.now() - started;
  store.close();
  return { generateMs, numbersMs, scanMs, rows: Number(scan!.n), numbers };
}

const numbers = await numbersOverGeneratedLog();
const load = await streamLoadFigures(STREAM_RECORDS);
const rule0 = numbers.numbers.rules[0]!;
const rate = (ms: number) => `${Math.round(load.records / (ms / 1000)).toLocaleString('en')} records/s`;
console.log(`report over ${numbers.rows.toLocaleString('en')} journey event records and ${BEHAVIOR.toLocaleString('en')} behavior events (${machineLoad()})`);
console.log(`  generated in DuckDB in ${(numbers.generateMs / 1000).toFixed(2)} s; ${numbers.numbers.rules.length} rule versions; ${rule0.ruleId}@${rule0.ruleVersion}: entered ${rule0.entered.treatment + rule0.entered.control}, converted ${rule0.converted.treatment + rule0.converted.control}, ${rule0.uplift.verdict}`);
console.log(`  baseline: bare scan of the table         ${(numbers.scanMs / 1000).toFixed(3)} s`);
console.log(`  numbers: seal + every number of the page ${(numbers.numbersMs / 1000).toFixed(2)} s (goal: under 5 s)`);
console.log(`loading ${load.records.toLocaleString('en')} records from the JetStream stream nudge_journey_events (published in ${(load.publishMs / 1000).toFixed(1)} s; best of 2 rounds each)`);
console.log(`  baseline: bare read (same ordered consumer, bytes only) ${rate(load.bareMs)}`);
console.log(`  report stream source into the store                     ${rate(load.loadMs)}`);
console.log(`  ratio numbers / bare scan: ${(numbers.numbersMs / numbers.scanMs).toFixed(1)}×`);
console.log(`  ratio stream load / bare read: ${(load.bareMs / load.loadMs).toFixed(2)}×`);
