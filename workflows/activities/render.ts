/** Liquid rendering of message templates, with the variables rule authors see documented in the schema. */
import { Liquid, type Template } from 'liquidjs';

const liquid = new Liquid({ strictFilters: true, ownPropertyOnly: true, cache: true });

export interface TemplateVariables {
  user: { id: string };
  traits: Record<string, unknown>;
  /** Behavior tags by name, computed from the user's state when the step runs (a stage name, a count, a boolean; null: no stage). */
  tags: Record<string, unknown>;
  /** Model scores by model id ({{ scores["convert-14d"] }}), computed by the engine when the person entered the journey. */
  scores: Record<string, number>;
  event: Record<string, unknown>;
  coupon: { code: string | null };
  journey: { id: string };
  rule: { id: string; version: number };
}

/**
 * Parsed templates by text. Liquid's own `cache` option only covers template files, so a string was
 * tokenised and parsed again on every send; a rule's templates are few and fixed, so each is parsed once
 * (bounded, in case templates are generated). Parsed templates are not changed by rendering.
 */
const parsed = new Map<string, Template[]>();
const MAX_PARSED = 10_000;

function templateOf(text: string): Template[] {
  let template = parsed.get(text);
  if (!template) {
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(text, (template = liquid.parse(text)));
  }
  return template;
}

/**
 * Renders synchronously: every filter and tag nudge allows is synchronous, and the async renderer
 * spends most of its time in promise plumbing.
 */
export function renderText(template: string, variables: TemplateVariables): string {
  return (liquid.renderSync(templateOf(template), variables as unknown as Record<string, unknown>) as string).trim();
}

export async function render(template: string, variables: TemplateVariables): Promise<string> {
  return renderText(template, variables);
}

/** Renders string values of a JSON payload (one level deep, like the rule schema allows). */
export async function renderPayload(payload: Record<string, unknown>, variables: TemplateVariables): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) out[key] = typeof value === 'string' ? renderText(value, variables) : value;
  return out;
}
