/**
 * Small builders for rules and steps, so unit specifications show only what a case is about. The
 * builders produce rule-file JSON (schema input); `ruleOf` parses it through the real schema, so a
 * fixture can never be a rule the loader would reject.
 */
import type { ConditionLeaf, TopLevelCondition } from '../../rules/schema/conditions';
import { RuleSchema, type Rule, type RuleInput } from '../../rules/schema/rule';
import type { Step } from '../../rules/schema/steps';
import { TagSchema, type Tag } from '../../rules/schema/tags';

/** A minimal valid rule file; every case overrides what it is about. */
export function ruleJson(overrides: Partial<RuleInput> & Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'test-rule',
    name: 'Test rule',
    version: 1,
    enabled: true,
    trigger: { event: 'page_viewed' },
    entry: { policy: 'once' },
    steps: [email('hello')],
    ...overrides,
  };
}

/** A rule as the loader returns it (defaults applied). Throws if the fixture is not a valid rule. */
export function ruleOf(overrides: Partial<RuleInput> & Record<string, unknown> = {}): Rule {
  return RuleSchema.parse(ruleJson(overrides));
}

export const coupon = (id: string, extra: Partial<Extract<Step, { type: 'coupon' }>> = {}): Step => ({ id, type: 'coupon', ...extra });
export const email = (id: string, subject = 'Hello {{ traits.first_name }}', text = 'Code {{ coupon.code }}'): Step => ({ id, type: 'email', subject, text });
export const sms = (id: string, body = 'Code {{ coupon.code }}'): Step => ({ id, type: 'sms', body });
export const webhook = (id: string, url = 'http://127.0.0.1:4280/hook'): Step => ({ id, type: 'webhook', url });
export const wait = (id: string, duration: string): Step => ({ id, type: 'wait', duration });
export const waitUntil = (id: string, time: string, timezone?: string): Step => ({ id, type: 'waitUntil', time, ...(timezone ? { timezone } : {}) });
export const exit = (id: string): Step => ({ id, type: 'exit' });
export const branch = (id: string, conditions: TopLevelCondition, then: Step[], otherwise: Step[]): Step => ({ id, type: 'branch', conditions, then, else: otherwise });
export const waitForEvent = (
  id: string,
  event: string,
  timeout: string,
  onEvent: Step[],
  onTimeout: Step[],
  conditions?: TopLevelCondition,
): Step => ({ id, type: 'waitForEvent', event, timeout, onEvent, onTimeout, ...(conditions ? { conditions } : {}) });

/** Condition leaves, spelled like rule files spell them. */
export const countOf = (event: string, within: string, operator: string, value: number, where?: Record<string, string | number | boolean>): ConditionLeaf =>
  ({ fact: 'count', params: { event, within, ...(where ? { where } : {}) }, operator, value }) as ConditionLeaf;
export const sinceLast = (event: string, operator: string, value: number, where?: Record<string, string | number | boolean>): ConditionLeaf =>
  ({ fact: 'secondsSinceLast', params: { event, ...(where ? { where } : {}) }, operator, value }) as ConditionLeaf;
export const eventAt = (path: string, operator: string, value: unknown): ConditionLeaf => ({ fact: 'event', path, operator, value }) as ConditionLeaf;
export const traitAt = (path: string, operator: string, value: unknown): ConditionLeaf => ({ fact: 'traits', path, operator, value }) as ConditionLeaf;
export const tagIs = (name: string, operator: string, value: unknown): ConditionLeaf => ({ fact: 'tags', path: `$.${name}`, operator, value }) as ConditionLeaf;

/** A tag as the loader returns it (defaults applied). Throws if the fixture is not a valid tag file. */
export const tagOf = (json: Record<string, unknown>): Tag => TagSchema.parse(json);
