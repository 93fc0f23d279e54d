/**
 * Loads tag files (rules/tags/*.json) like rule files: JSON parse, schema validation, then what the
 * schema cannot say — tag conditions describe the person, so they may not read the `event` fact; names
 * are unique; every tag a condition reads exists; tags never read each other in a cycle. Every problem
 * names the file, the line and column, the JSON path and the reason.
 */
import { parseJsonFile } from './load-rules';
import type { JsonDocument } from './lint/json-positions';
import { InvalidRuleSetError, type RuleProblem } from './rule-errors';
import { listJsonFiles, readSourceFile } from './source-files';
import { leavesOf } from './schema/conditions';
import { conditionTreesOfTag, tagCycles, tagDependencies, TagSchema, unknownTagMessage, type Tag } from './schema/tags';

export interface LoadedTag {
  tag: Tag;
  file: string;
}

/** The tag files: *.json (not *.schema.json) of the given files and directories; a path that does not exist holds no tags. */
export function listTagFiles(paths: string[]): string[] {
  return listJsonFiles(paths, { missingOk: true });
}

/**
 * Validates every tag file. `tags`: the valid ones; `names`: every tag name that parsed, valid or not,
 * so a rule reading a tag whose file has an error is not also told the tag does not exist.
 */
export function validateTagFiles(paths: string[], cwd = process.cwd()): { tags: LoadedTag[]; names: Set<string>; problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  return validateTagSources(listTagFiles(paths).map((path) => readSourceFile(path, cwd)));
}

/** The same checks on tag texts that were read already (a deployed revision carries its files' texts). */
export function validateTagSources(sources: { file: string; text?: string; problem?: RuleProblem }[]): { tags: LoadedTag[]; names: Set<string>; problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  const tags: LoadedTag[] = [];
  const problems: RuleProblem[] = [];
  const documents = new Map<string, JsonDocument>();
  const owners = new Map<string, string>();
  const invalidNames = new Set<string>();
  for (const { file, text, problem } of sources) {
    if (text === undefined) {
      problems.push(problem ?? { file, path: [], message: 'no text' });
      continue;
    }
    const { value: tag, document, problems: parseProblems } = parseJsonFile(text, file, TagSchema);
    problems.push(...parseProblems);
    if (document) documents.set(file, document);
    const named = (document?.data as { name?: unknown } | undefined)?.name;
    if (!tag && typeof named === 'string') invalidNames.add(named); // so readers of it are not also told it does not exist
    if (!tag || !document) continue;
    problems.push(...eventFactProblems(tag).map((p) => ({ file, ...p, ...document.positionOf(p.path) })));
    const owner = owners.get(tag.name);
    if (owner) {
      problems.push({ file, path: ['name'], message: `tag "${tag.name}" is already defined in ${owner}`, ...document.positionOf(['name']) });
      continue;
    }
    owners.set(tag.name, file);
    tags.push({ tag, file });
  }
  const located = (file: string, path: (string | number)[], message: string): RuleProblem => ({ file, path, message, ...documents.get(file)?.positionOf(path) });
  for (const { path, message, file } of tagSetProblems(tags, invalidNames)) problems.push(located(file, path, message));
  const fileOrder = [...documents.keys()];
  problems.sort((a, b) => fileOrder.indexOf(a.file) - fileOrder.indexOf(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const invalid = new Set(problems.map((p) => p.file));
  return { tags: tags.filter(({ file }) => !invalid.has(file)), names: new Set([...owners.keys(), ...invalidNames]), problems, documents };
}

/** Loads the tag files or throws InvalidRuleSetError listing every problem. */
export function loadTags(paths: string[], cwd = process.cwd()): LoadedTag[] {
  const { tags, problems } = validateTagFiles(paths, cwd);
  if (problems.length) throw new InvalidRuleSetError(problems);
  return tags;
}

/** Conditions of a tag are about the person, read whenever the tag is: there is no event to look at. */
function eventFactProblems(tag: Tag): { path: (string | number)[]; message: string }[] {
  return conditionTreesOfTag(tag).flatMap(([tree, treePath]) =>
    [...leavesOf(tree)]
      .filter(([leaf]) => leaf.fact === 'event')
      .map(([, leafPath]) => ({ path: [...treePath, ...leafPath, 'fact'], message: 'a tag cannot read the event fact: a tag describes the person whenever it is read, not one event; use count or secondsSinceLast' })),
  );
}

/**
 * Problems between tags: a read of a tag no file defines, and tags that read each other in a cycle.
 * `alsoNamed`: names of tag files that are invalid (reading them is not a second problem).
 */
export function tagSetProblems(tags: LoadedTag[], alsoNamed: ReadonlySet<string> = new Set()): { file: string; path: (string | number)[]; message: string }[] {
  const problems: { file: string; path: (string | number)[]; message: string }[] = [];
  const names = new Set([...tags.map(({ tag }) => tag.name), ...alsoNamed]);
  for (const { tag, file } of tags) {
    for (const [name, path] of tagDependencies(tag)) {
      if (!names.has(name)) problems.push({ file, path: [...path, 'path'], message: unknownTagMessage(name, names) });
    }
  }
  const fileOf = new Map(tags.map(({ tag, file }) => [tag.name, { tag, file }]));
  for (const cycle of tagCycles(tags.map(({ tag }) => tag))) {
    const { tag, file } = fileOf.get(cycle[0]!)!;
    const reference = tagDependencies(tag).find(([name]) => name === cycle[1]);
    problems.push({ file, path: reference ? [...reference[1], 'path'] : [], message: `tags cannot read each other in a cycle: ${cycle.join(' → ')}` });
  }
  return problems;
}
