/**
 * `nudge schema`: the JSON Schema of rule files, generated from the zod schema (the single source).
 * rules/rule.schema.json (and the catalog's and tag files' schemas) are checked in so editors
 * autocomplete the files; a test keeps them current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { CatalogSchema } from '../rules/schema/catalog';
import { RuleSchema } from '../rules/schema/rule';
import { ModelFileSchema } from '../rules/schema/model';
import { TagSchema } from '../rules/schema/tags';
import { JourneyEventRecordSchema } from '../workflows/journey/journey-event-record';

/** Each checked-in JSON Schema and the zod schema it is generated from. */
const SCHEMAS: { file: string; schema: z.ZodType }[] = [
  { file: 'rules/rule.schema.json', schema: RuleSchema },
  { file: 'rules/catalog.schema.json', schema: CatalogSchema },
  { file: 'rules/tag.schema.json', schema: TagSchema },
  { file: 'rules/model.schema.json', schema: ModelFileSchema },
  // Not a rule file: the journey event log's records, for the log's consumers (BI, warehouses).
  { file: 'rules/journey-event.schema.json', schema: JourneyEventRecordSchema },
];

export function jsonSchemaOf(schema: z.ZodType): string {
  return JSON.stringify(z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }), null, 2) + '\n';
}

export function runSchema(options: { write?: boolean; check?: boolean }, out: (line: string) => void = (l) => process.stdout.write(l)): number {
  if (!options.check && !options.write) {
    out(jsonSchemaOf(RuleSchema));
    return 0;
  }
  let stale = 0;
  for (const { file, schema } of SCHEMAS) {
    const generated = jsonSchemaOf(schema);
    if (options.write) {
      writeFileSync(file, generated);
      out(`wrote ${file}\n`);
      continue;
    }
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      /* missing counts as out of date */
    }
    if (current !== generated) {
      out(`${file} is out of date: run "npx nudge schema --write"\n`);
      stale++;
    }
  }
  return stale ? 1 : 0;
}
