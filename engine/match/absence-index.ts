/**
 * The enabled rules with an absence trigger, compiled and indexed by the event names they watch (the
 * absent event and the `after` event), so an arriving event meets only the absence rules it can arm or
 * disarm. The rule's own (state) conditions are evaluated when the timer fires, with its CompiledRule.
 */
import { parseDuration } from '../../rules/schema/parse-duration';
import { isAbsenceTrigger } from '../../rules/schema/trigger';
import { ConditionEvaluator } from './evaluate-conditions';
import type { CompiledRule } from './rule-index';

export interface CompiledAbsence {
  compiled: CompiledRule;
  /** The event whose absence fires the rule, and which of its occurrences count. */
  watched: { event: string; matches: ConditionEvaluator };
  /** With `after`: the event that starts the wait (the watched event then cancels it). */
  after?: { event: string; matches: ConditionEvaluator };
  /** How long the watched event must stay away (ms). */
  forMs: number;
}

export class AbsenceIndex {
  readonly all: CompiledAbsence[] = [];
  private readonly byEvent = new Map<string, CompiledAbsence[]>();

  constructor(rules: readonly CompiledRule[]) {
    for (const compiled of rules) {
      const { trigger, id, enabled } = compiled.rule;
      if (!enabled || !isAbsenceTrigger(trigger)) continue;
      const { event, conditions, after } = trigger.absence;
      const absence: CompiledAbsence = {
        compiled,
        watched: { event, matches: new ConditionEvaluator(conditions, `${id} (absence)`) },
        ...(after ? { after: { event: after.event, matches: new ConditionEvaluator(after.conditions, `${id} (after)`) } } : {}),
        forMs: parseDuration(trigger.absence.for),
      };
      this.all.push(absence);
      for (const name of new Set([event, ...(after ? [after.event] : [])])) {
        const list = this.byEvent.get(name);
        if (list) list.push(absence);
        else this.byEvent.set(name, [absence]);
      }
    }
  }

  /** Absence rules this event name can arm or disarm, in file order. */
  watching(eventName: string): readonly CompiledAbsence[] {
    return this.byEvent.get(eventName) ?? NONE;
  }
}

const NONE: readonly CompiledAbsence[] = Object.freeze([]);
