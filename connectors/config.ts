/**
 * Validating connector configuration. Every connector parses its config with a zod schema when it is
 * built, so a bad value fails at startup with a message naming the setting (or the environment
 * variable it came from), never at send time.
 */
import type { z } from 'zod';
import { ConnectorConfigError } from './errors';

/** The process environment, or any map shaped like it. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses `input` with `schema`, throwing ConnectorConfigError on failure. `sourceNames` maps top-level
 * config fields to where they came from (e.g. `port` -> `SMTP_PORT`) so the error names what to fix.
 */
export function parseConfig<Schema extends z.ZodType>(
  connector: string,
  schema: Schema,
  input: unknown,
  sourceNames: Readonly<Record<string, string>> = {},
): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    const first = issue.path[0];
    const source = typeof first === 'string' ? sourceNames[first] : undefined;
    return `${source ?? (field || '(config)')}: ${issue.message}`;
  });
  throw new ConnectorConfigError(connector, problems.join('; '));
}

/** An unset or blank variable is "not given", so schema defaults apply. */
export function envString(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Numbers from the environment; a non-number becomes NaN so the schema rejects it by name. */
export function envNumber(value: string | undefined): number | undefined {
  const text = envString(value);
  return text === undefined ? undefined : Number(text);
}

/** Booleans from the environment: true/false/1/0/yes/no; anything else is passed on for the schema to reject. */
export function envBoolean(value: string | undefined): boolean | string | undefined {
  const text = envString(value)?.toLowerCase();
  if (text === undefined) return undefined;
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  return text;
}
