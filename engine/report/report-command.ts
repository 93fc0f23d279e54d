/**
 * `nudge report`: loads the journey event log and the behavior events into the analytics store, builds
 * the numbers, and prints them (`--json`), writes the page (`--out file.html`) or serves it (`--serve`).
 * A source is a pair of loaders; each build opens a fresh in-memory store, loads, seals and queries it.
 */
import { writeFileSync } from 'node:fs';
import type { Logger } from '../../platform/logger';
import type { JourneyEventRecord } from '../../workflows/journey/journey-event-record';
import { buildReportNumbers, type ReportNumbers } from './report-numbers';
import { renderReportPage } from './report-page';
import { startReportServer, type BuiltReport } from './report-server';
import { behaviorEventsFromJsonl, journeyEventsFromJsonl, type ReportInputProblem } from './report-sources';
import { ReportStore } from './report-store';

export interface ReportSource {
  /** Shown on the page: where the numbers come from. */
  describe: string;
  /** Loads every record into the store (not sealed yet); reports bad input through onProblem. */
  load(store: ReportStore, onProblem: (problem: ReportInputProblem) => void): Promise<void>;
}

/** Journey events (and optionally behavior events) from JSONL files. */
export function fileSource(events: string, behavior?: string): ReportSource {
  return {
    describe: `journey events from ${events}${behavior ? `, behavior events from ${behavior}` : ''}`,
    async load(store, onProblem) {
      await store.addJourneyEvents(journeyEventsFromJsonl(events, onProblem));
      if (behavior) await store.addBehaviorEvents(behaviorEventsFromJsonl(behavior, onProblem));
    },
  };
}

/** Records already in memory (a backtest's journey events) and, optionally, the behavior events of a JSONL file. */
export function recordsSource(records: readonly JourneyEventRecord[], describe: string, behavior?: string): ReportSource {
  return {
    describe,
    async load(store, onProblem) {
      await store.addJourneyEvents(records);
      if (behavior) await store.addBehaviorEvents(behaviorEventsFromJsonl(behavior, onProblem));
    },
  };
}

export interface BuildOptions {
  /** Only this rule's sections. */
  ruleId?: string;
  title?: string;
}

/** One build: a fresh store loaded from the source, its numbers and the page. */
export async function buildReport(source: ReportSource, options: BuildOptions, onProblem: (problem: ReportInputProblem) => void): Promise<BuiltReport> {
  const store = await ReportStore.open();
  try {
    await source.load(store, onProblem);
    await store.seal();
    const all = await buildReportNumbers(store);
    const numbers: ReportNumbers = { rules: options.ruleId ? all.rules.filter((r) => r.ruleId === options.ruleId) : all.rules };
    const html = renderReportPage(numbers, { title: options.title ?? 'nudge report', source: source.describe, generatedAt: new Date() });
    return { numbers, html };
  } finally {
    store.close();
  }
}

export interface ReportCommandOptions extends BuildOptions {
  json?: boolean;
  out?: string;
  serve?: boolean;
  port: number;
  host?: string;
}

/** Runs the command; resolves with the exit code, or (serving) with a stop function once listening. */
export async function runReport(source: ReportSource, options: ReportCommandOptions, log: Logger, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number | { url: string; stop: () => Promise<void> }> {
  const problems: string[] = [];
  const onProblem = (problem: string) => {
    problems.push(problem);
    log.warn(problem);
  };
  if (options.serve) {
    const server = await startReportServer({ port: options.port, host: options.host, log, build: () => buildReport(source, options, onProblem) });
    log.info({ url: server.url }, 'report served');
    return { url: server.url, stop: server.stop };
  }
  const built = await buildReport(source, options, onProblem);
  if (options.out) {
    writeFileSync(options.out, built.html);
    log.info({ file: options.out, rules: built.numbers.rules.length }, 'report written');
  }
  if (options.json || !options.out) out(`${JSON.stringify(built.numbers, null, 2)}\n`);
  // Bad lines were skipped and reported; the exit code says so, the numbers of the rest stand.
  return problems.length ? 1 : 0;
}
