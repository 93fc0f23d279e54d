/**
 * A whole rule set: the rule files and the tag files their conditions may read. Loads completely or
 * not at all; a rule that reads a tag no tag file defines is an error, like any other in its file.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonDocument } from './lint/json-positions';
import { validateRuleFiles, validateRuleSources, type LoadedRule } from './load-rules';
import { validateTagFiles, validateTagSources, type LoadedTag } from './load-tags';
import { InvalidRuleSetError, type RuleProblem } from './rule-errors';
import { tagReferencesOf } from './schema/conditions';
import { conditionTreesOfRule, type Rule } from './schema/rule';
import { unknownTagMessage } from './schema/tags';

export const TAGS_DIR_NAME = 'tags';

export interface RuleSet {
  rules: LoadedRule[];
  tags: LoadedTag[];
}

/** The `tags` directory of the first directory among the rule paths, when it exists (as for catalog.json). */
export function defaultTagPaths(rulePaths: string[]): string[] {
  const directory = rulePaths.find((path) => existsSync(path) && statSync(path).isDirectory());
  const tags = directory === undefined ? undefined : join(directory, TAGS_DIR_NAME);
  return tags !== undefined && existsSync(tags) ? [tags] : [];
}

/** Validates rules and tags together; `documents` has the positions of every file that parsed. */
export function validateRuleSetFiles(rulePaths: string[], tagPaths: string[], cwd = process.cwd()): RuleSet & { problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  return combineRuleSet(validateTagFiles(tagPaths, cwd), validateRuleFiles(rulePaths, cwd));
}

/** A rule set from texts read already (a deployed revision): the same checks as from files. */
export function validateRuleSetSources(rules: SourceText[], tags: SourceText[]): RuleSet & { problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  return combineRuleSet(validateTagSources(tags), validateRuleSources(rules));
}

type SourceText = { file: string; text: string };

function combineRuleSet(tagged: ReturnType<typeof validateTagSources>, ruled: ReturnType<typeof validateRuleSources>): RuleSet & { problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  const names = tagged.names;
  const problems = [...tagged.problems, ...ruled.problems];
  for (const { rule, file } of ruled.rules) {
    for (const { path, message } of tagReferenceProblems(rule, names)) problems.push({ file, path, message, ...ruled.documents.get(file)?.positionOf(path) });
  }
  const invalid = new Set(problems.map((p) => p.file));
  return {
    rules: ruled.rules.filter(({ file }) => !invalid.has(file)),
    tags: tagged.tags,
    problems,
    documents: new Map([...tagged.documents, ...ruled.documents]),
  };
}

/** Loads a rule set with its tags or throws InvalidRuleSetError listing every problem. */
export function loadRuleSet(rulePaths: string[], tagPaths: string[] = defaultTagPaths(rulePaths), cwd = process.cwd()): RuleSet {
  const { rules, tags, problems } = validateRuleSetFiles(rulePaths, tagPaths, cwd);
  if (problems.length) throw new InvalidRuleSetError(problems);
  return { rules, tags };
}

/** Reads of tags that no tag file defines, at the leaf's `path`. */
export function tagReferenceProblems(rule: Rule, names: ReadonlySet<string>): { path: (string | number)[]; message: string }[] {
  return conditionTreesOfRule(rule).flatMap(([tree, treePath]) =>
    tagReferencesOf(tree)
      .filter(([name]) => !names.has(name))
      .map(([name, leafPath]) => ({ path: [...treePath, ...leafPath, 'path'], message: unknownTagMessage(name, names) })),
  );
}
