/**
 * A whole rule set: the rule files and the tag files their conditions may read. Loads completely or
 * not at all; a rule that reads a tag no tag file defines is an error, like any other in its file.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonDocument } from './lint/json-positions';
import { validateRuleFiles, validateRuleSources, type LoadedRule } from './load-rules';
import { validateTagFiles, validateTagSources, type LoadedTag } from './load-tags';
import { defaultModelPaths, unknownModelMessage, validateTrainedModels, type LoadedTrainedModel } from './load-models';
import { InvalidRuleSetError, type RuleProblem } from './rule-errors';
import { modelReferencesOf, tagReferencesOf } from './schema/conditions';
import { conditionTreesOfRule, type Rule } from './schema/rule';
import { unknownTagMessage } from './schema/tags';

export const TAGS_DIR_NAME = 'tags';

export interface RuleSet {
  rules: LoadedRule[];
  tags: LoadedTag[];
  /** Trained models (rules/models/*.model.json) the `score` fact reads; absent: none. */
  models?: LoadedTrainedModel[];
}

/** The `tags` directory of the first directory among the rule paths, when it exists (as for catalog.json). */
export function defaultTagPaths(rulePaths: string[]): string[] {
  const directory = rulePaths.find((path) => existsSync(path) && statSync(path).isDirectory());
  const tags = directory === undefined ? undefined : join(directory, TAGS_DIR_NAME);
  return tags !== undefined && existsSync(tags) ? [tags] : [];
}

/**
 * Validates rules, tags and trained models together; `documents` has the positions of every rule and
 * tag file that parsed. `modelPaths`: by default the `models` directory beside the rules.
 */
export function validateRuleSetFiles(rulePaths: string[], tagPaths: string[], cwd = process.cwd(), modelPaths: string[] = defaultModelPaths(rulePaths)): RuleSet & { problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  const tagged = validateTagFiles(tagPaths, cwd);
  const modelled = validateTrainedModels(modelPaths, cwd, tagged.names);
  const set = combineRuleSet(tagged, validateRuleFiles(rulePaths, cwd), modelled.models);
  return { ...set, problems: [...set.problems, ...modelled.problems] };
}

/**
 * A rule set from texts read already (a deployed revision): the same checks as from files. A revision
 * carries no trained models (yet), so a rule reading a score is refused as such — not as "run nudge
 * train", which would be wrong advice when the model is trained beside the rule files.
 */
export function validateRuleSetSources(rules: SourceText[], tags: SourceText[]): RuleSet & { problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  return combineRuleSet(validateTagSources(tags), validateRuleSources(rules), [], deployedModelMessage);
}

export const deployedModelMessage = (id: string): string =>
  `reads model "${id}", but a deployed rule set (nudge rules deploy) carries no trained models yet: run the engines on the rule files (NUDGE_RULES_SOURCE=files) to use scores, or deploy without this rule`;

type SourceText = { file: string; text: string };

function combineRuleSet(tagged: ReturnType<typeof validateTagSources>, ruled: ReturnType<typeof validateRuleSources>, models: LoadedTrainedModel[] = [], modelMessage = unknownModelMessage): RuleSet & { problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  const names = tagged.names;
  const modelIds = new Set(models.map(({ model }) => model.id));
  const problems = [...tagged.problems, ...ruled.problems];
  for (const { rule, file } of ruled.rules) {
    for (const { path, message } of [...tagReferenceProblems(rule, names), ...modelReferenceProblems(rule, modelIds, modelMessage)]) problems.push({ file, path, message, ...ruled.documents.get(file)?.positionOf(path) });
  }
  const invalid = new Set(problems.map((p) => p.file));
  return {
    rules: ruled.rules.filter(({ file }) => !invalid.has(file)),
    tags: tagged.tags,
    ...(models.length ? { models } : {}),
    problems,
    documents: new Map([...tagged.documents, ...ruled.documents]),
  };
}

/** Loads a rule set with its tags or throws InvalidRuleSetError listing every problem. */
export function loadRuleSet(rulePaths: string[], tagPaths: string[] = defaultTagPaths(rulePaths), cwd = process.cwd(), modelPaths?: string[]): RuleSet {
  const { rules, tags, models, problems } = validateRuleSetFiles(rulePaths, tagPaths, cwd, modelPaths);
  if (problems.length) throw new InvalidRuleSetError(problems);
  return { rules, tags, ...(models ? { models } : {}) };
}

/** Reads of models that are not trained, at the leaf's `params.model`; `message` says why a model is missing. */
export function modelReferenceProblems(rule: Rule, known: ReadonlySet<string>, message: (id: string, known: ReadonlySet<string>) => string = unknownModelMessage): { path: (string | number)[]; message: string }[] {
  return conditionTreesOfRule(rule).flatMap(([tree, treePath]) =>
    modelReferencesOf(tree)
      .filter(([id]) => !known.has(id))
      .map(([id, leafPath]) => ({ path: [...treePath, ...leafPath, 'params', 'model'], message: message(id, known) })),
  );
}

/** Reads of tags that no tag file defines, at the leaf's `path`. */
export function tagReferenceProblems(rule: Rule, names: ReadonlySet<string>): { path: (string | number)[]; message: string }[] {
  return conditionTreesOfRule(rule).flatMap(([tree, treePath]) =>
    tagReferencesOf(tree)
      .filter(([name]) => !names.has(name))
      .map(([name, leafPath]) => ({ path: [...treePath, ...leafPath, 'path'], message: unknownTagMessage(name, names) })),
  );
}
