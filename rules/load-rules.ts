/**
 * Loads rule files from disk: JSON parse, schema validation, semantic checks, unique rule ids.
 * Every problem names the file, the JSON path and the reason; one bad file fails the whole set so the
 * engine never starts on a rule set that is partly wrong.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidRuleSetError, type RuleProblem } from './rule-errors';
import { RuleSchema, type Rule } from './schema/rule';
import { semanticProblems } from './semantic-checks';

export interface LoadedRule {
  rule: Rule;
  file: string;
}

/** Rule files are the *.json files of the given files/directories (not recursive), except *.schema.json. */
export function listRuleFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name.endsWith('.json') && !name.endsWith('.schema.json')) files.push(join(path, name));
      }
    } else {
      files.push(path);
    }
  }
  return files;
}

export function parseRuleText(text: string, file: string): { rule?: Rule; problems: RuleProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problems: [{ file, path: [], message: `not valid JSON: ${(error as Error).message}` }] };
  }
  const parsed = RuleSchema.safeParse(json);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((issue) => ({ file, path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: issue.message })),
    };
  }
  const problems = semanticProblems(parsed.data).map((p) => ({ file, ...p }));
  return problems.length ? { problems } : { rule: parsed.data, problems: [] };
}

/** Validates every file and returns all problems (for `nudge validate`). */
export function validateRuleFiles(paths: string[], cwd = process.cwd()): { rules: LoadedRule[]; problems: RuleProblem[] } {
  const rules: LoadedRule[] = [];
  const problems: RuleProblem[] = [];
  const owners = new Map<string, string>();
  for (const path of listRuleFiles(paths)) {
    const file = relative(cwd, path) || path;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      problems.push({ file, path: [], message: `cannot read: ${(error as Error).message}` });
      continue;
    }
    const result = parseRuleText(text, file);
    problems.push(...result.problems);
    if (!result.rule) continue;
    const owner = owners.get(result.rule.id);
    if (owner) {
      problems.push({ file, path: ['id'], message: `rule id "${result.rule.id}" is already defined in ${owner}` });
      continue;
    }
    owners.set(result.rule.id, file);
    rules.push({ rule: result.rule, file });
  }
  return { rules, problems };
}

/** Loads a rule set or throws InvalidRuleSetError listing every problem. */
export function loadRules(paths: string[], cwd = process.cwd()): LoadedRule[] {
  const { rules, problems } = validateRuleFiles(paths, cwd);
  if (problems.length) throw new InvalidRuleSetError(problems);
  return rules;
}
