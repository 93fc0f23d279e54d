/**
 * `nudge validate` in one call: rule files, tag files and the catalog checked for errors, then the valid
 * rules and tags linted against the set and the catalog. Errors and warnings carry file, line and column.
 */
import { defaultTagPaths, validateRuleSetFiles } from '../load-rule-set';
import type { LoadedRule } from '../load-rules';
import type { LoadedTag } from '../load-tags';
import type { RuleProblem, RuleWarning } from '../rule-errors';
import type { Catalog } from '../schema/catalog';
import { findCatalogFile, readCatalogFile } from './catalog-file';
import { eventLints, tagEventLints } from './event-lints';
import { journeyLints } from './journey-lints';
import type { Lint, LintContext } from './lint';
import { templateLints } from './template-lints';
import { triggerEventOf } from '../schema/trigger';

export interface RuleSetReport {
  rules: LoadedRule[];
  tags: LoadedTag[];
  errors: RuleProblem[];
  warnings: RuleWarning[];
  /** The catalog file that was used, if one was found (and valid). */
  catalogFile?: string;
}

/** Tag files come from `tagPaths`, by default the `tags` directory beside the rules (rules/tags). */
export function validateRuleSet(paths: string[], cwd = process.cwd(), tagPaths: string[] = defaultTagPaths(paths)): RuleSetReport {
  const { rules, tags, problems, documents } = validateRuleSetFiles(paths, tagPaths, cwd);
  const catalogPath = findCatalogFile(paths);
  const catalog = catalogPath === undefined ? undefined : readCatalogFile(catalogPath, cwd);
  const errors = [...problems, ...(catalog?.problems ?? [])];
  const fileOrder = new Map([...rules, ...tags].map(({ file }, i) => [file, i]));
  const lints = lintRuleSet(rules, catalog?.catalog, tags)
    .map((lint) => ({ ...lint, ...documents.get(lint.file)?.positionOf(lint.path) }))
    .sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  // A goal event nothing sends would never record a conversion: an error, where other unknown events warn.
  const warnings = lints.filter((lint) => lint.code !== 'unknown-goal-event');
  errors.push(...lints.filter((lint) => lint.code === 'unknown-goal-event').map(({ code: _code, ...problem }) => problem));
  return { rules, tags, errors, warnings, ...(catalog?.catalog ? { catalogFile: catalog.file } : {}) };
}

/**
 * Lints every rule of a set against the others (which events trigger a rule), the catalog and the tags,
 * and the tag files against the same; without `tags`, tag names in templates are not checked.
 */
export function lintRuleSet(rules: LoadedRule[], catalog?: Catalog, tags?: LoadedTag[]): (Lint & { file: string })[] {
  const context: LintContext = {
    triggerEvents: new Set(rules.filter(({ rule }) => rule.enabled).flatMap(({ rule }) => triggerEventOf(rule.trigger) ?? [])),
    ...(catalog ? { catalog } : {}),
    ...(tags ? { tags: new Set(tags.map(({ tag }) => tag.name)) } : {}),
  };
  return [
    ...rules.flatMap(({ rule, file }) => lintRule(rule, context).map((lint) => ({ ...lint, file }))),
    ...(tags ?? []).flatMap(({ tag, file }) => tagEventLints(tag, context).map((lint) => ({ ...lint, file }))),
  ];
}

export function lintRule(rule: LoadedRule['rule'], context: LintContext): Lint[] {
  return [...journeyLints(rule), ...templateLints(rule, context), ...eventLints(rule, context)];
}
