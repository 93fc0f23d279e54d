/**
 * Event names nothing sends: an exit event, a waited-for event or a counted event (in a rule or a tag)
 * that is no enabled rule's trigger and not in the catalog is most likely a typo, and the journey
 * silently never sees it (or the tag never counts it).
 */
import { leavesOf, type TopLevelCondition } from '../schema/conditions';
import type { Rule } from '../schema/rule';
import { walkSteps } from '../schema/step-tree';
import { conditionTreesOfTag, type Tag } from '../schema/tags';
import { isAbsenceTrigger } from '../schema/trigger';
import type { Lint, LintContext } from './lint';

export function eventLints(rule: Rule, context: LintContext): Lint[] {
  const goal = rule.goal ? unknownEvents([[rule.goal.event, ['goal', 'event']]], context).map((lint) => ({ ...lint, code: 'unknown-goal-event' as const })) : [];
  return [...unknownEvents(eventReferences(rule), context), ...goal];
}

/** The same for a tag file: the event a count or distinct tag reads, and those its conditions count. */
export function tagEventLints(tag: Tag, context: LintContext): Lint[] {
  const references: [string, (string | number)[]][] = tag.kind === 'count' || tag.kind === 'distinct' ? [[tag.event, ['event']]] : [];
  for (const [tree, path] of conditionTreesOfTag(tag)) references.push(...countedEvents(tree, path));
  return unknownEvents(references, context);
}

function unknownEvents(references: [string, (string | number)[]][], context: LintContext): Lint[] {
  const known = (event: string) => context.triggerEvents.has(event) || (context.catalog !== undefined && Object.hasOwn(context.catalog.events, event));
  const where = context.catalog ? 'is not in the catalog and triggers no enabled rule' : 'triggers no enabled rule, and there is no catalog.json listing the events the product sends';
  return references
    .filter(([event]) => !known(event))
    .map(([event, path]) => ({ code: 'unknown-event', path, message: `event "${event}" ${where}: check the spelling, or add it to the catalog` }));
}

/** Events counted by the count and secondsSinceLast leaves of a condition tree at `path`. */
function countedEvents(conditions: TopLevelCondition, path: (string | number)[]): [string, (string | number)[]][] {
  const references: [string, (string | number)[]][] = [];
  for (const [leaf, leafPath] of leavesOf(conditions)) {
    if (leaf.fact === 'count' || leaf.fact === 'secondsSinceLast') references.push([leaf.params.event, [...path, ...leafPath, 'params', 'event']]);
  }
  return references;
}

/** Every event name a rule refers to besides its trigger, with its path. */
export function eventReferences(rule: Rule): [string, (string | number)[]][] {
  const references: [string, (string | number)[]][] = [];
  const inConditions = (conditions: TopLevelCondition | undefined, path: (string | number)[]) => {
    if (conditions) references.push(...countedEvents(conditions, path));
  };
  inConditions(rule.trigger.conditions, ['trigger', 'conditions']);
  if (isAbsenceTrigger(rule.trigger)) {
    const { absence } = rule.trigger;
    references.push([absence.event, ['trigger', 'absence', 'event']]);
    inConditions(absence.conditions, ['trigger', 'absence', 'conditions']);
    if (absence.after) references.push([absence.after.event, ['trigger', 'absence', 'after', 'event']]);
    inConditions(absence.after?.conditions, ['trigger', 'absence', 'after', 'conditions']);
  }
  for (const [i, exit] of rule.exitOn.entries()) {
    references.push([exit.event, ['exitOn', i, 'event']]);
    inConditions(exit.conditions, ['exitOn', i, 'conditions']);
  }
  inConditions(rule.goal?.conditions, ['goal', 'conditions']); // the goal's own event: eventLints (an error)
  for (const [step, path] of walkSteps(rule.steps)) {
    if (step.type === 'waitForEvent') {
      references.push([step.event, [...path, 'event']]);
      inConditions(step.conditions, [...path, 'conditions']);
    }
    if (step.type === 'branch') inConditions(step.conditions, [...path, 'conditions']);
  }
  return references;
}
