/**
 * `nudge schema`: the JSON Schema of rule files, generated from the zod schema (the single source).
 * rules/rule.schema.json is checked in so editors autocomplete rule files; a test keeps it current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { RuleSchema } from '../rules/schema/rule';

export const RULE_SCHEMA_FILE = 'rules/rule.schema.json';

export function ruleJsonSchema(): string {
  return JSON.stringify(z.toJSONSchema(RuleSchema, { io: 'input', target: 'draft-2020-12' }), null, 2) + '\n';
}

export function runSchema(options: { write?: boolean; check?: boolean }, out: (line: string) => void = (l) => process.stdout.write(l)): number {
  const generated = ruleJsonSchema();
  if (options.check) {
    let current = '';
    try {
      current = readFileSync(RULE_SCHEMA_FILE, 'utf8');
    } catch {
      /* missing counts as out of date */
    }
    if (current === generated) return 0;
    out(`${RULE_SCHEMA_FILE} is out of date: run "npx nudge schema --write"\n`);
    return 1;
  }
  if (options.write) {
    writeFileSync(RULE_SCHEMA_FILE, generated);
    out(`wrote ${RULE_SCHEMA_FILE}\n`);
    return 0;
  }
  out(generated);
  return 0;
}
