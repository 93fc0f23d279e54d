/**
 * Checks the schema cannot express: unique step ids, valid time zones, Liquid templates that parse, no
 * "event" fact in the conditions of a trigger that fires without an event.
 * Run at load so a broken rule is reported before any event arrives.
 */
import { Liquid } from 'liquidjs';
import { IANAZone } from 'luxon';
import type { Rule } from './schema/rule';
import { walkSteps } from './schema/step-tree';
import { templatesOf } from './lint/template-lints';
import { triggerProblems } from './schema/trigger';

const liquid = new Liquid({ strictFilters: true });

export function semanticProblems(rule: Rule): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (rule.timezone !== undefined && !IANAZone.isValidZone(rule.timezone)) problems.push({ path: ['timezone'], message: `"${rule.timezone}" is not an IANA time zone (e.g. "Europe/Berlin")` });
  problems.push(...triggerProblems(rule.trigger));
  const seen = new Map<string, string>();
  for (const [step, path] of walkSteps(rule.steps)) {
    const where = path.map(String).join('.');
    const first = seen.get(step.id);
    if (first) problems.push({ path: [...path, 'id'], message: `step id "${step.id}" is already used by ${first}` });
    else seen.set(step.id, where);
    if (step.type === 'waitUntil' && step.timezone && !IANAZone.isValidZone(step.timezone)) {
      problems.push({ path: [...path, 'timezone'], message: `"${step.timezone}" is not an IANA time zone` });
    }
    if (step.type === 'waitUntil' && step.time === 'best' && step.fallback === undefined) {
      problems.push({ path: [...path, 'fallback'], message: 'time "best" needs a fallback local time ("HH:mm") for a person with no history yet' });
    }
    if (step.type === 'waitUntil' && step.time !== 'best' && step.fallback !== undefined) {
      problems.push({ path: [...path, 'fallback'], message: `a fallback applies only to time "best"; this step waits for ${step.time}` });
    }
    for (const [field, template] of templatesOf(step)) {
      try {
        liquid.parse(template);
      } catch (error) {
        problems.push({ path: [...path, ...field], message: `template does not parse: ${(error as Error).message.split('\n')[0]}` });
      }
    }
  }
  return problems;
}
