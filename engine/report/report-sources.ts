/**
 * Where the report's records come from: JSONL files (`nudge journey-events export --format jsonl`, a
 * backtest's journey events, Segment events) read line by line. Every line is checked against its
 * schema; a bad line is reported as file:line with the reason and skipped, the rest still load.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { behaviorEventOf, parseEnvelope, userKeyOf } from '../events/envelope';
import { JourneyEventRecordSchema, type JourneyEventRecord } from '../../workflows/journey/journey-event-record';
import type { ReportBehaviorEvent } from './report-store';

/** A line that was not loaded, and why. */
export type ReportInputProblem = string;

async function* jsonLines(file: string, onProblem: (problem: ReportInputProblem) => void): AsyncGenerator<{ value: unknown; where: string }> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (!line.trim()) continue;
    const where = `${file}:${number}`;
    try {
      yield { value: JSON.parse(line) as unknown, where };
    } catch (error) {
      onProblem(`${where}: not valid JSON: ${(error as Error).message}`);
    }
  }
}

const issues = (error: { issues: { path: PropertyKey[]; message: string }[] }) => error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(record)'}: ${i.message}`).join('; ');

/** Journey event records from a JSONL file, one record per line. */
export async function* journeyEventsFromJsonl(file: string, onProblem: (problem: ReportInputProblem) => void): AsyncGenerator<JourneyEventRecord> {
  for await (const { value, where } of jsonLines(file, onProblem)) {
    const parsed = JourneyEventRecordSchema.safeParse(value);
    if (parsed.success) yield parsed.data;
    else onProblem(`${where}: not a journey event: ${issues(parsed.error)}`);
  }
}

/** A Segment event as the report sees it; null for events that are no behavior (identify, alias, group). */
export function reportBehaviorOf(raw: unknown, person?: string): { ok: true; event: ReportBehaviorEvent | null } | { ok: false; reason: string } {
  const parsed = parseEnvelope(raw);
  if (!parsed.ok) return parsed;
  const behavior = behaviorEventOf(parsed.event);
  if (!behavior) return { ok: true, event: null };
  const journeyId = behavior.properties.journeyId;
  return {
    ok: true,
    event: { personId: person ?? userKeyOf(parsed.event), event: behavior.name, at: Date.parse(parsed.event.timestamp), journeyId: typeof journeyId === 'string' ? journeyId : null },
  };
}

/** Behavior events from a JSONL file of Segment events (what `nudge publish` and `nudge simulate` read). */
export async function* behaviorEventsFromJsonl(file: string, onProblem: (problem: ReportInputProblem) => void): AsyncGenerator<ReportBehaviorEvent> {
  for await (const { value, where } of jsonLines(file, onProblem)) {
    const result = reportBehaviorOf(value);
    if (!result.ok) onProblem(`${where}: not a Segment event: ${result.reason}`);
    else if (result.event) yield result.event;
  }
}
