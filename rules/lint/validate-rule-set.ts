/**
 * `nudge validate` in one call: rule files and the catalog checked for errors, then the valid rules
 * linted against the set and the catalog. Errors and warnings carry file, line and column.
 */
import { validateRuleFiles, type LoadedRule } from '../load-rules';
import type { RuleProblem, RuleWarning } from '../rule-errors';
import type { Catalog } from '../schema/catalog';
import { findCatalogFile, readCatalogFile } from './catalog-file';
import { eventLints } from './event-lints';
import { journeyLints } from './journey-lints';
import type { Lint, LintContext } from './lint';
import { templateLints } from './template-lints';

export interface RuleSetReport {
  rules: LoadedRule[];
  errors: RuleProblem[];
  warnings: RuleWarning[];
  /** The catalog file that was used, if one was found (and valid). */
  catalogFile?: string;
}

export function validateRuleSet(paths: string[], cwd = process.cwd()): RuleSetReport {
  const { rules, problems, documents } = validateRuleFiles(paths, cwd);
  const catalogPath = findCatalogFile(paths);
  const catalog = catalogPath === undefined ? undefined : readCatalogFile(catalogPath, cwd);
  const errors = [...problems, ...(catalog?.problems ?? [])];
  const fileOrder = new Map(rules.map(({ file }, i) => [file, i]));
  const warnings = lintRuleSet(rules, catalog?.catalog)
    .map((lint) => ({ ...lint, ...documents.get(lint.file)?.positionOf(lint.path) }))
    .sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { rules, errors, warnings, ...(catalog?.catalog ? { catalogFile: catalog.file } : {}) };
}

/** Lints every rule of a set against the others (which events trigger a rule) and the catalog. */
export function lintRuleSet(rules: LoadedRule[], catalog?: Catalog): (Lint & { file: string })[] {
  const context: LintContext = { triggerEvents: new Set(rules.filter(({ rule }) => rule.enabled).map(({ rule }) => rule.trigger.event)), ...(catalog ? { catalog } : {}) };
  return rules.flatMap(({ rule, file }) => lintRule(rule, context).map((lint) => ({ ...lint, file })));
}

export function lintRule(rule: LoadedRule['rule'], context: LintContext): Lint[] {
  return [...journeyLints(rule), ...templateLints(rule, context), ...eventLints(rule, context)];
}
