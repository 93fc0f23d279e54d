/**
 * A rule set as deployed: the texts of its rule files, tag files, event catalog and coupon pool files,
 * exactly as they were validated. An engine or worker that receives a deployed revision validates these
 * texts with the same code as files on disk (validateRuleSetSources), so a revision written by a newer
 * nudge — a field this schema does not know — is refused with the file, JSON path and reason.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { findCatalogFile } from '../lint/catalog-file';
import { listRuleFiles } from '../load-rules';
import { validateRuleSetSources, type RuleSet } from '../load-rule-set';
import { listTagFiles } from '../load-tags';
import { InvalidRuleSetError } from '../rule-errors';
import { readSourceFile } from '../source-files';

/** The newest source format this build reads; bump it when a revision gains a part older builds cannot use. */
export const RULE_SET_FORMAT = 1;

const SourceFile = z
  .object({
    file: z.string().min(1).meta({ description: 'The file\'s name as it was deployed (relative to the working directory of `nudge rules deploy`).' }),
    text: z.string().meta({ description: 'The file\'s exact text.' }),
  })
  .strict();

export const RuleSetSourceSchema = z
  .object({
    format: z.number().int().min(1).meta({ description: 'Source format; an engine refuses a format newer than it reads.' }),
    rules: z.array(SourceFile).meta({ description: 'Rule files.' }),
    tags: z.array(SourceFile).meta({ description: 'Tag files.' }),
    catalog: SourceFile.optional().meta({ description: 'The event catalog (lints only; engines ignore it, as with files).' }),
    coupons: z.array(SourceFile).meta({ description: 'Coupon pool files (<pool>.txt, one code per line) the worker hands codes out of.' }),
  })
  .strict()
  .meta({ title: 'nudge rule set source', description: 'What `nudge rules deploy` publishes as one revision.' });

export type RuleSetSource = z.output<typeof RuleSetSourceSchema>;

/** A deployed revision that this build cannot use; the engine or worker keeps the rule set it has. */
export class UnreadableRevisionError extends Error {
  constructor(readonly revision: number, reason: string, options?: { cause?: unknown }) {
    super(`rule set revision ${revision} cannot be loaded: ${reason}`, options);
    this.name = 'UnreadableRevisionError';
  }
}

/** Reads the files `nudge validate` checks (and the coupon pools) into one source. */
export function readRuleSetSource(rulePaths: string[], tagPaths: string[], couponDirs: string[], cwd = process.cwd()): RuleSetSource {
  const read = (path: string) => {
    const { file, text, problem } = readSourceFile(path, cwd);
    if (text === undefined) throw new InvalidRuleSetError([problem!]);
    return { file, text };
  };
  const catalog = findCatalogFile(rulePaths);
  const pools = couponDirs.filter((dir) => existsSync(dir) && statSync(dir).isDirectory()).flatMap((dir) => readdirSync(dir).filter((name) => name.endsWith('.txt')).sort().map((name) => join(dir, name)));
  return {
    format: RULE_SET_FORMAT,
    rules: listRuleFiles(rulePaths).map(read),
    tags: listTagFiles(tagPaths).map(read),
    ...(catalog ? { catalog: read(catalog) } : {}),
    coupons: pools.map(read),
  };
}

/** Parses a revision's JSON content: the format first, so a newer one is named as such rather than as a schema error. */
export function parseRuleSetSource(revision: number, value: unknown): RuleSetSource {
  const format = (value as { format?: unknown } | null)?.format;
  if (typeof format === 'number' && format > RULE_SET_FORMAT) {
    throw new UnreadableRevisionError(revision, `it has source format ${format} but this nudge reads format ${RULE_SET_FORMAT} and older: upgrade this process`);
  }
  const parsed = RuleSetSourceSchema.safeParse(value);
  if (!parsed.success) throw new UnreadableRevisionError(revision, parsed.error.issues.map((i) => `${i.path.join('.') || '(content)'}: ${i.message}`).join('; '));
  return parsed.data;
}

/** The rules and tags of a source, validated as files are; throws InvalidRuleSetError naming each file, path and reason. */
export function loadRuleSetSource(source: RuleSetSource): RuleSet {
  const { rules, tags, problems } = validateRuleSetSources(source.rules, source.tags);
  if (problems.length) throw new InvalidRuleSetError(problems);
  return { rules, tags };
}


/**
 * A hash of what the source says, blind to where it was deployed from: the files' base names and texts.
 * Two deploys of the same files have the same content hash (deploy says "unchanged").
 */
export function sourceContentHash(source: RuleSetSource): string {
  const named = (files: { file: string; text: string }[]) => files.map((f) => [f.file.split(/[\\/]/).pop(), f.text]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  const canonical = JSON.stringify({ format: source.format, rules: named(source.rules), tags: named(source.tags), catalog: source.catalog ? named([source.catalog]) : [], coupons: named(source.coupons) });
  return createHash('sha256').update(canonical).digest('hex');
}
