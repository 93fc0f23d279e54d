/** `nudge report` and `nudge simulate --report`: the source from the options, then engine/report. */
import type { Config } from '../platform/config';
import { createLogger } from '../platform/logger';
import { fileSource, recordsSource, runReport, type ReportSource } from '../engine/report/report-command';
import { streamSource } from '../engine/report/report-stream-source';
import { DEFAULT_REPORT_PORT } from '../engine/report/report-server';

export { DEFAULT_REPORT_PORT };
import type { JourneyEventRecord } from '../workflows/journey/journey-event-record';
import { untilSignal } from './until-signal';

export interface ReportCliOptions {
  events?: string;
  behavior?: string;
  rule?: string;
  json?: boolean;
  out?: string;
  serve?: boolean;
  port: string;
  host: string;
}

export async function runReportCli(config: Config, options: ReportCliOptions): Promise<number> {
  const log = createLogger('nudge-report');
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (0–65535), not "${options.port}"`);
  if (options.behavior && !options.events) throw new Error('--behavior needs --events (without --events both come from NATS)');
  const source: ReportSource = options.events ? fileSource(options.events, options.behavior) : streamSource(config);
  const result = await runReport(source, { ...options, port, ...(options.rule ? { ruleId: options.rule } : {}) }, log);
  if (typeof result === 'number') return result;
  console.log(`report: ${result.url}  (numbers: ${result.url}/report.json)`);
  await untilSignal();
  await result.stop();
  return 0;
}

/** The page of a backtest: the simulator's journey events (and the events it ran on, for paths). */
export async function writeSimulationReport(records: readonly JourneyEventRecord[], file: string, eventsFile?: string): Promise<number> {
  const source = recordsSource(records, `backtest${eventsFile ? ` of ${eventsFile}` : ''} (nudge simulate)`, eventsFile);
  const result = await runReport(source, { out: file, port: 0, title: 'nudge report — backtest' }, createLogger('nudge-report'));
  return typeof result === 'number' ? result : 0;
}
