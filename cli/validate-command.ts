/**
 * `nudge validate [paths…]`: checks rule files (and catalog.json and the tag files in tags/ beside
 * them). Prints every error, then every lint warning, as "file:line:column: $.path: reason"; exit code
 * 1 on any error, or on any warning with --strict.
 */
import { defaultTagPaths } from '../rules/load-rule-set';
import { validateRuleSet } from '../rules/lint/validate-rule-set';
import { formatProblem } from '../rules/rule-errors';

export function runValidate(paths: string[], options: { strict?: boolean; tags?: string } = {}, out: (line: string) => void = console.log): number {
  const rulePaths = paths.length ? paths : ['rules'];
  const { rules, tags, errors, warnings, catalogFile } = validateRuleSet(rulePaths, process.cwd(), options.tags === undefined ? defaultTagPaths(rulePaths) : options.tags.split(','));
  for (const problem of [...errors, ...warnings]) out(formatProblem(problem));
  for (const { rule, file } of rules) out(`ok  ${file}: ${rule.id} v${rule.version}${rule.enabled ? '' : ' (disabled)'}`);
  for (const { tag, file } of tags) out(`ok  ${file}: tag ${tag.name} (${tag.kind})`);
  if (catalogFile) out(`ok  ${catalogFile}: event catalog`);
  const failed = errors.length > 0 || (options.strict === true && warnings.length > 0);
  const counts = `${plural(errors.length, 'error')}, ${plural(warnings.length, 'warning')}`;
  const valid = `${plural(rules.length, 'rule')}${tags.length ? `, ${plural(tags.length, 'tag')}` : ''} valid`;
  out(errors.length ? `${counts}: the rule set is invalid` : `${valid}, ${counts}${failed ? ' (--strict: warnings fail)' : ''}`);
  return failed ? 1 : 0;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
