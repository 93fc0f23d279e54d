/** Liquid rendering of message templates, with the variables rule authors see documented in the schema. */
import { Liquid } from 'liquidjs';

// cache: templates are parsed once per text, not on every send.
const liquid = new Liquid({ strictFilters: true, ownPropertyOnly: true, cache: true });

export interface TemplateVariables {
  user: { id: string };
  traits: Record<string, unknown>;
  /** Behavior tags by name, computed from the user's state when the step runs (a stage name, a count, a boolean; null: no stage). */
  tags: Record<string, unknown>;
  event: Record<string, unknown>;
  coupon: { code: string | null };
  journey: { id: string };
  rule: { id: string; version: number };
}

export async function render(template: string, variables: TemplateVariables): Promise<string> {
  return (await liquid.parseAndRender(template, variables as unknown as Record<string, unknown>)).trim();
}

/** Renders string values of a JSON payload (one level deep, like the rule schema allows). */
export async function renderPayload(payload: Record<string, unknown>, variables: TemplateVariables): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) out[key] = typeof value === 'string' ? await render(value, variables) : value;
  return out;
}
