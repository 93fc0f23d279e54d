/**
 * Rules compiled for matching, indexed by trigger event name: an event only ever meets the rules it can
 * trigger, so rules for other events cost nothing. The tag set their conditions read (and the counters
 * both need) is compiled with them.
 */
import type { LoadedRule } from '../../rules/load-rules';
import type { LoadedTag } from '../../rules/load-tags';
import type { Rule } from '../../rules/schema/rule';
import { buildCounterPlan, type CounterPlan } from '../state/counter-plan';
import { ConditionEvaluator } from './evaluate-conditions';
import { TagSet } from './tags';

export interface CompiledRule {
  rule: Rule;
  file: string;
  trigger: ConditionEvaluator;
}

export class RuleIndex {
  readonly plan: CounterPlan;
  readonly rules: CompiledRule[];
  readonly tags: TagSet;
  private readonly byTrigger = new Map<string, CompiledRule[]>();

  constructor(loaded: LoadedRule[], tags: LoadedTag[] = []) {
    this.plan = buildCounterPlan(loaded.map((l) => l.rule), tags.map((t) => t.tag));
    this.tags = new TagSet(tags.map((t) => t.tag));
    this.rules = loaded.map(({ rule, file }) => ({ rule, file, trigger: new ConditionEvaluator(rule.trigger.conditions, rule.id) }));
    for (const compiled of this.rules) {
      if (!compiled.rule.enabled) continue;
      const list = this.byTrigger.get(compiled.rule.trigger.event) ?? [];
      list.push(compiled);
      this.byTrigger.set(compiled.rule.trigger.event, list);
    }
  }

  /** Enabled rules whose trigger is this event name. */
  candidates(eventName: string): readonly CompiledRule[] {
    return this.byTrigger.get(eventName) ?? [];
  }

  byId(ruleId: string): CompiledRule | undefined {
    return this.rules.find((r) => r.rule.id === ruleId);
  }
}
