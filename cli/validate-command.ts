/**
 * `nudge validate [paths…]`: checks rule files (and catalog.json beside them). Prints every error, then
 * every lint warning, as "file:line:column: $.path: reason"; exit code 1 on any error, or on any
 * warning with --strict.
 */
import { validateRuleSet } from '../rules/lint/validate-rule-set';
import { formatProblem } from '../rules/rule-errors';

export function runValidate(paths: string[], options: { strict?: boolean } = {}, out: (line: string) => void = console.log): number {
  const { rules, errors, warnings, catalogFile } = validateRuleSet(paths.length ? paths : ['rules']);
  for (const problem of [...errors, ...warnings]) out(formatProblem(problem));
  for (const { rule, file } of rules) out(`ok  ${file}: ${rule.id} v${rule.version}${rule.enabled ? '' : ' (disabled)'}`);
  if (catalogFile) out(`ok  ${catalogFile}: event catalog`);
  const failed = errors.length > 0 || (options.strict === true && warnings.length > 0);
  const counts = `${plural(errors.length, 'error')}, ${plural(warnings.length, 'warning')}`;
  out(errors.length ? `${counts}: the rule set is invalid` : `${plural(rules.length, 'rule')} valid, ${counts}${failed ? ' (--strict: warnings fail)' : ''}`);
  return failed ? 1 : 0;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
