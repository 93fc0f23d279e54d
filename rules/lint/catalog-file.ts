/** Finds the event catalog next to the rule files and validates it like a rule file. */
import { existsSync, statSync } from 'node:fs';
import { readSourceFile } from '../source-files';
import { dirname, join } from 'node:path';
import { parseJsonFile } from '../load-rules';
import type { RuleProblem } from '../rule-errors';
import { CATALOG_FILE_NAME, CatalogSchema, type Catalog } from '../schema/catalog';

/** The catalog.json of the first directory argument, or else of the first file's directory, if it exists. */
export function findCatalogFile(paths: string[]): string | undefined {
  const directory = paths.find((path) => statSync(path).isDirectory()) ?? (paths[0] === undefined ? undefined : dirname(paths[0]));
  if (directory === undefined) return undefined;
  const file = join(directory, CATALOG_FILE_NAME);
  return existsSync(file) ? file : undefined;
}

export function readCatalogFile(path: string, cwd = process.cwd()): { file: string; catalog?: Catalog; problems: RuleProblem[] } {
  const { file, text, problem } = readSourceFile(path, cwd);
  if (text === undefined) return { file, problems: [problem!] };
  const { value, problems } = parseJsonFile(text, file, CatalogSchema);
  return { file, catalog: value, problems };
}
