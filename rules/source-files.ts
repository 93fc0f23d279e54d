/** Finding and reading the JSON source files of rules, tags and the catalog, with one way to report failures. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RuleProblem } from './rule-errors';

/**
 * The *.json files (not *.schema.json) of the given files and directories, directories not recursive and
 * in name order; `skip` leaves out names (e.g. the catalog); `missingOk` lets a path that does not exist hold no files.
 */
export function listJsonFiles(paths: string[], options: { skip?: (name: string) => boolean; missingOk?: boolean } = {}): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (options.missingOk && !existsSync(path)) continue;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name.endsWith('.json') && !name.endsWith('.schema.json') && !options.skip?.(name)) files.push(join(path, name));
      }
    } else if (!options.skip?.(path.split(/[\\/]/).pop() ?? path)) {
      files.push(path);
    }
  }
  return files;
}

/** A source file's text and its name as reported (relative to cwd), or the problem that it cannot be read. */
export function readSourceFile(path: string, cwd: string): { file: string; text?: string; problem?: RuleProblem } {
  const file = relative(cwd, path) || path;
  try {
    return { file, text: readFileSync(path, 'utf8') };
  } catch (error) {
    return { file, problem: { file, path: [], message: `cannot read: ${(error as Error).message}` } };
  }
}
