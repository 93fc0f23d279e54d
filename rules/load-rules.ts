/**
 * Loads rule files from disk: JSON parse, schema validation, semantic checks, unique rule ids.
 * Every problem names the file, the line and column, the JSON path and the reason; one bad file fails
 * the whole set so the engine never starts on a rule set that is partly wrong.
 */
import type { z } from 'zod';
import { JsonSyntaxError, parseJsonDocument, type JsonDocument } from './lint/json-positions';
import { InvalidRuleSetError, type RuleProblem } from './rule-errors';
import { listJsonFiles, readSourceFile } from './source-files';
import { CATALOG_FILE_NAME } from './schema/catalog';
import { RuleSchema, type Rule } from './schema/rule';
import { semanticProblems } from './semantic-checks';

export interface LoadedRule {
  rule: Rule;
  file: string;
}

/**
 * Rule files are the *.json files of the given files/directories (not recursive), except *.schema.json
 * and the event catalog (catalog.json, even when named directly: it is checked as the catalog).
 */
export function listRuleFiles(paths: string[]): string[] {
  return listJsonFiles(paths, { skip: (name) => name === CATALOG_FILE_NAME });
}

export interface ParsedJsonFile<T> {
  value?: T;
  /** The parsed text with positions; absent when the text is not JSON. */
  document?: JsonDocument;
  problems: RuleProblem[];
}

/** Parses JSON text against a zod schema; every problem carries the line and column it points at. */
export function parseJsonFile<S extends z.ZodType>(text: string, file: string, schema: S): ParsedJsonFile<z.output<S>> {
  let document: JsonDocument;
  try {
    document = parseJsonDocument(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return { problems: [{ file, path: [], message: `not valid JSON: ${error.message}`, ...error.position }] };
  }
  const parsed = schema.safeParse(document.data);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => specificIssues(issue)).map(({ key, ...issue }) => ({
      file,
      ...issue,
      ...(key === undefined ? document.positionOf(issue.path) : document.positionOf([...issue.path, key], { key: true })),
    }));
    return { document, problems };
  }
  return { value: parsed.data, document, problems: [] };
}

export function parseRuleText(text: string, file: string): { rule?: Rule; document?: JsonDocument; problems: RuleProblem[] } {
  const { value: rule, document, problems } = parseJsonFile(text, file, RuleSchema);
  if (!rule || !document) return { document, problems };
  const semantic = semanticProblems(rule).map((p) => ({ file, ...p, ...document.positionOf(p.path) }));
  return semantic.length ? { document, problems: semantic } : { rule, document, problems: [] };
}

type Issue = z.core.$ZodIssue;
/** `key`: an unknown property, reported at the object but best shown at the property's name. */
type Located = { path: (string | number)[]; message: string; key?: string };

/**
 * A condition node is a union (all / any / not / leaf), for which zod reports one "Invalid input" at
 * the node. Descend into the alternative the node was meant to be (the one with the fewest signs of a
 * different shape: missing required keys, unknown keys; then the deepest path), so the problem names
 * the leaf and field that is wrong.
 */
function specificIssues(issue: Issue, prefix: (string | number)[] = []): Located[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const wrongShape = (issues: Issue[]) =>
      issues.filter((i) => i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && /received undefined/.test(i.message))).length;
    const depth = (issues: Issue[]) => Math.max(...issues.map((i) => i.path.length + (i.code === 'invalid_union' ? 1 : 0)));
    const rank = (issues: Issue[]) => [wrongShape(issues), -depth(issues), issues.length];
    const better = (a: Issue[], b: Issue[]) => {
      const [ra, rb] = [rank(a), rank(b)];
      for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! < rb[i]! ? a : b;
      return a;
    };
    const best = issue.errors.reduce(better);
    // A shape told apart by its keys (a trigger kind) fails at its own level: descend when no other alternative is as close.
    const unambiguous = issue.errors.every((other) => other === best || wrongShape(other) > wrongShape(best));
    if (depth(best) > 0 || unambiguous) return best.flatMap((inner) => specificIssues(inner, path));
  }
  return [{ path, message: issue.message, ...(issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? { key: issue.keys[0] } : {}) }];
}

/**
 * Validates every file and returns all problems (for `nudge validate`), and each parsed file's
 * positions by file name so later checks (lints) can point into the files too.
 */
export function validateRuleFiles(paths: string[], cwd = process.cwd()): { rules: LoadedRule[]; problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  return validateRuleSources(listRuleFiles(paths).map((path) => readSourceFile(path, cwd)));
}

/**
 * The same checks on rule texts that were read already (a deployed revision carries its files' texts);
 * a source without text is reported with the problem of reading it.
 */
export function validateRuleSources(sources: { file: string; text?: string; problem?: RuleProblem }[]): { rules: LoadedRule[]; problems: RuleProblem[]; documents: Map<string, JsonDocument> } {
  const rules: LoadedRule[] = [];
  const problems: RuleProblem[] = [];
  const documents = new Map<string, JsonDocument>();
  const owners = new Map<string, string>();
  for (const { file, text, problem } of sources) {
    if (text === undefined) {
      problems.push(problem ?? { file, path: [], message: 'no text' });
      continue;
    }
    const result = parseRuleText(text, file);
    problems.push(...result.problems);
    if (result.document) documents.set(file, result.document);
    if (!result.rule || !result.document) continue;
    const owner = owners.get(result.rule.id);
    if (owner) {
      problems.push({ file, path: ['id'], message: `rule id "${result.rule.id}" is already defined in ${owner}`, ...result.document.positionOf(['id']) });
      continue;
    }
    owners.set(result.rule.id, file);
    rules.push({ rule: result.rule, file });
  }
  return { rules, problems, documents };
}

/** Loads a rule set or throws InvalidRuleSetError listing every problem. */
export function loadRules(paths: string[], cwd = process.cwd()): LoadedRule[] {
  const { rules, problems } = validateRuleFiles(paths, cwd);
  if (problems.length) throw new InvalidRuleSetError(problems);
  return rules;
}
