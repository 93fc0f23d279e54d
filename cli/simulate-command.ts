/** `nudge simulate`: runs rules over events on a virtual clock and prints what would happen. */
import { writeFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import type { JourneyEventRecord } from '../workflows/journey/journey-event-record';
import { writeSimulationReport } from './report-command';
import { natsConnectOptions } from '../platform/nats/connect-options';
import { loadConfig } from '../platform/config';
import type { EventEnvelope } from '../engine/events/envelope';
import { explain, explainCollector } from '../engine/simulate/explain';
import { readEventsFile, readProfilesFile, readStreamRange } from '../engine/simulate/inputs';
import { describeDuplicates, toJsonLines, toTable } from '../engine/simulate/output';
import { simulate, type SimulationHooks, type SimulationAction } from '../engine/simulate/simulator';
import { defaultTagPaths, loadRuleSet, type RuleSet } from '../rules/load-rule-set';

export interface SimulateOptions {
  rules: string;
  /** Tag files or directories, comma-separated; default: the tags/ directory beside the rules. */
  tags?: string;
  events?: string;
  stream?: boolean;
  from?: string;
  to?: string;
  profiles?: string;
  until?: string;
  format?: 'jsonl' | 'table';
  /**
   * Replay events in the order they were delivered (file lines, stream order) instead of by timestamp.
   * Default: on for --stream (a backtest shows what production did), off for --events.
   */
  arrivalOrder?: boolean;
  /** Write the journey event log records (the same records production writes to its stream) to this JSON-lines file. */
  journeyEvents?: string;
  /** Also write the report page (funnel, conversions, paths) of the backtest's journey events here. */
  report?: string;
}

export class UsageError extends Error {}

function isoTime(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${name}: "${value}" is not an ISO-8601 time`);
  return ms;
}

export async function loadSimulationEvents(options: SimulateOptions, warn: (line: string) => void): Promise<EventEnvelope[]> {
  if (options.events && options.stream) throw new UsageError('give either --events <file> or --stream, not both');
  if (options.events) return readEventsFile(options.events);
  if (!options.stream) throw new UsageError('give --events <file.jsonl> or --stream --from <ISO> --to <ISO>');
  const from = isoTime('--from', options.from);
  const to = isoTime('--to', options.to);
  if (from === undefined || to === undefined) throw new UsageError('--stream needs --from <ISO> and --to <ISO>');
  const config = loadConfig();
  const nc = await connect(natsConnectOptions(config, 'nudge-simulate'));
  try {
    const { events, skipped } = await readStreamRange(nc, new Date(from), new Date(to));
    for (const line of skipped) warn(`skipped ${line}`);
    return events;
  } finally {
    await nc.close();
  }
}

/** The rules and tags of a simulation. */
export function loadSimulationRuleSet(options: Pick<SimulateOptions, 'rules' | 'tags'>): RuleSet {
  const rulePaths = options.rules.split(',');
  return loadRuleSet(rulePaths, options.tags === undefined ? defaultTagPaths(rulePaths) : options.tags.split(','));
}

export async function runSimulation(options: SimulateOptions, hooks: SimulationHooks = {}, warn: (line: string) => void = (l) => console.error(l)): Promise<SimulationAction[]> {
  const { rules, tags, models } = loadSimulationRuleSet(options);
  const events = await loadSimulationEvents(options, warn);
  const profiles = options.profiles ? readProfilesFile(options.profiles) : [];
  const until = isoTime('--until', options.until);
  const order = (options.arrivalOrder ?? Boolean(options.stream)) ? 'arrival' : 'time';
  // The raw stream has dropped repeated messageIds already; a file has not (see SimulationInput.dropDuplicates).
  return simulate({ rules, tags, ...(models ? { models: models.map((m) => m.model) } : {}), events, profiles, dropDuplicates: !options.stream, order, ...(until !== undefined ? { until } : {}) }, hooks);
}

export async function runSimulate(options: SimulateOptions, out: (text: string) => void = (t) => process.stdout.write(t), warn: (line: string) => void = (l) => console.error(l)): Promise<number> {
  const duplicates: EventEnvelope[] = [];
  const records: JourneyEventRecord[] = [];
  const actions = await runSimulation(options, { onDuplicate: (event) => duplicates.push(event), ...(options.journeyEvents || options.report ? { onJourneyEvent: (record) => records.push(record) } : {}) }, warn);
  if (options.journeyEvents) writeFileSync(options.journeyEvents, records.map((record) => JSON.stringify(record) + '\n').join(''));
  if (options.report) await writeSimulationReport(records, options.report, options.events);
  if (options.format === 'jsonl') {
    out(toJsonLines(actions));
    const dropped = describeDuplicates(duplicates);
    if (dropped) warn(dropped); // JSON lines are actions only; the drops go to stderr
  } else out(toTable(actions, { duplicates }));
  return 0;
}

/** `nudge explain --user <id> --rule <id>` over the same inputs as simulate. */
export async function runExplain(options: SimulateOptions & { user: string; rule: string }, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { rules } = loadSimulationRuleSet(options);
  const loaded = rules.find((r) => r.rule.id === options.rule);
  if (!loaded) throw new UsageError(`no rule "${options.rule}" in ${options.rules} (rules: ${rules.map((r) => r.rule.id).join(', ')})`);
  const collector = explainCollector(options.rule, options.user);
  const actions = await runSimulation(options, { onEvent: collector.onEvent, onMerge: collector.onMerge, onRefusal: collector.onRefusal, onDuplicate: collector.onDuplicate });
  const { person, people, merges, refusals, duplicates, evaluations, userEvents } = collector.result();
  out(explain({ rule: loaded.rule, userId: options.user, person, merges, refusals, duplicates, evaluations, userEvents, actions: actions.filter((a) => people.includes(a.userId) && a.ruleId === options.rule) }));
  return 0;
}
