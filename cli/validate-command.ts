/** `nudge validate [paths…]`: checks rule files; prints every problem as "file: $.path: reason". */
import { validateRuleFiles } from '../rules/load-rules';
import { formatProblem } from '../rules/rule-errors';

export function runValidate(paths: string[], out: (line: string) => void = console.log): number {
  const { rules, problems } = validateRuleFiles(paths.length ? paths : ['rules']);
  for (const problem of problems) out(formatProblem(problem));
  for (const { rule, file } of rules) out(`ok  ${file}: ${rule.id} v${rule.version}${rule.enabled ? '' : ' (disabled)'}`);
  out(problems.length ? `${problems.length} problem(s) found` : `${rules.length} rule(s) valid`);
  return problems.length ? 1 : 0;
}
