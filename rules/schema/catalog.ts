/**
 * The event catalog (rules/catalog.json, optional): the events the product sends, their properties, and
 * the profile traits, so `nudge validate` can warn about an event name or a template variable that
 * nothing provides (a typo that would otherwise only show as a journey that never starts or an empty
 * merge field). The engine does not read it.
 */
import { z } from 'zod';

export const CATALOG_FILE_NAME = 'catalog.json';

const ValueType = z.enum(['string', 'number', 'boolean']).meta({ description: 'JSON type of the value.' });

const Field = z
  .object({
    type: ValueType,
    description: z.string().optional(),
  })
  .strict();

const Name = z.string().min(1);

export const CatalogEvent = z
  .object({
    description: z.string().optional(),
    properties: z.record(Name, Field).optional().meta({ description: 'Properties the event carries, e.g. {"page": {"type": "string"}}. Absent: not described, so not checked.' }),
  })
  .strict();

export const CatalogSchema = z
  .object({
    $schema: z.string().optional(),
    events: z.record(Name, CatalogEvent).meta({ description: 'Track events by name.' }),
    traits: z.record(Name, Field).meta({ description: 'Profile traits (set by identify events) by name.' }),
  })
  .strict()
  .meta({ title: 'nudge event catalog', description: 'The events and traits rules may refer to.' });

export type Catalog = z.output<typeof CatalogSchema>;
