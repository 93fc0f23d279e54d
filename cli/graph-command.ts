/** `nudge graph <rule-file> [--format mermaid|dot]`: prints the journey as a diagram for review. */
import { readFileSync } from 'node:fs';
import { GRAPH_FORMATS, journeyGraph, type GraphFormat } from '../rules/graph/journey-graph';
import { parseRuleText } from '../rules/load-rules';
import { formatProblem } from '../rules/rule-errors';

export function runGraph(file: string, options: { format: string }, out: (text: string) => void = (t) => process.stdout.write(t), err: (line: string) => void = console.error): number {
  if (!(GRAPH_FORMATS as readonly string[]).includes(options.format)) {
    err(`nudge graph: --format must be ${GRAPH_FORMATS.join(' or ')}, not "${options.format}"`);
    return 1;
  }
  const { rule, problems } = parseRuleText(readFileSync(file, 'utf8'), file);
  if (!rule) {
    for (const problem of problems) err(formatProblem(problem));
    return 1;
  }
  out(journeyGraph(rule, options.format as GraphFormat));
  return 0;
}
