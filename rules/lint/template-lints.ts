/**
 * Template variables nothing provides. Templates render with user, traits, tags, event (the trigger),
 * coupon, journey, rule and scores (workflows/activities/render.ts); a variable outside those, a coupon code
 * before any coupon step, a tag no tag file defines, or a trait or event property the catalog does not
 * list renders as an empty string in a real message. Variables come from liquidjs's own static analysis, so loop variables and
 * `assign`s are not mistaken for context variables.
 */
import { Liquid } from 'liquidjs';
import type { Rule } from '../schema/rule';
import type { Step } from '../schema/steps';
import { nestedStepLists } from '../schema/step-tree';
import { assertNever } from '../../shared/assert-never';
import { unknownTagMessage } from '../schema/tags';
import { journeyEventNameOf } from '../schema/trigger';
import type { Lint, LintContext } from './lint';

const liquid = new Liquid({ strictFilters: true });

type Segments = ReturnType<Liquid['globalVariableSegmentsSync']>[number];

/** The properties each root variable has; `null`: any property (traits, or checked against the catalog). */
const ROOTS: Record<string, readonly string[] | null> = {
  user: ['id'],
  traits: null,
  tags: null,
  event: ['event', 'messageId', 'timestamp', 'properties'],
  coupon: ['code'],
  journey: ['id'],
  rule: ['id', 'version'],
  // By model id ({{ scores["convert-14d"] }}); a model the engine has not loaded renders empty, like a missing trait.
  scores: null,
};

export function templateLints(rule: Rule, context: LintContext): Lint[] {
  const lints: Lint[] = [];
  const triggerEvent = journeyEventNameOf(rule.trigger);
  const eventProperties = triggerEvent === undefined ? undefined : context.catalog?.events[triggerEvent]?.properties;
  /** Walks a list; `couponIssued`: some path to here ran a coupon step. Returns the same for the list's end. */
  const visit = (list: Step[], path: (string | number)[], couponIssued: boolean): boolean => {
    for (const [i, step] of list.entries()) {
      const here = [...path, i];
      for (const [field, template] of templatesOf(step)) {
        for (const segments of variablesOf(template)) {
          const problem = variableProblem(segments, { couponIssued, traits: context.catalog?.traits, tags: context.tags, eventProperties, triggerEvent });
          if (problem) lints.push({ code: 'unknown-template-variable', path: [...here, ...field], message: `{{ ${display(segments)} }}: ${problem}` });
        }
      }
      if (step.type === 'coupon') couponIssued = true;
      // After a branching step, a coupon exists if some path through it issued one (split variants too).
      const nested = nestedStepLists(step);
      if (nested.length) couponIssued = nested.map((list) => visit(list.steps, [...here, ...list.path], couponIssued)).some(Boolean);
    }
    return couponIssued;
  };
  visit(rule.steps, ['steps'], false);
  return lints;
}

interface Provided {
  couponIssued: boolean;
  traits?: Record<string, unknown>;
  tags?: ReadonlySet<string>;
  eventProperties?: Record<string, unknown>;
  triggerEvent?: string;
}

function variableProblem(segments: Segments, provided: Provided): string | undefined {
  const [root, property, name] = segments;
  if (typeof root !== 'string') return undefined;
  const known = ROOTS[root];
  if (known === undefined) return `templates have no variable "${root}"; they can use ${Object.keys(ROOTS).join(', ')}`;
  if (root === 'coupon' && !provided.couponIssued) return 'no coupon step runs before this step, so there is no coupon code here';
  if (typeof property !== 'string') return undefined;
  if (known && !known.includes(property)) return `${root} has ${known.map((p) => `${root}.${p}`).join(', ')}, not "${property}"`;
  if (root === 'traits' && provided.traits && !Object.hasOwn(provided.traits, property)) return `"${property}" is not a trait in the catalog`;
  if (root === 'tags' && provided.tags && !provided.tags.has(property)) return unknownTagMessage(property, provided.tags);
  if (root === 'event' && property === 'properties' && typeof name === 'string' && provided.eventProperties && !Object.hasOwn(provided.eventProperties, name)) {
    return `the catalog lists no property "${name}" on "${provided.triggerEvent}", the trigger event`;
  }
  return undefined;
}

function variablesOf(template: string): Segments[] {
  try {
    return liquid.globalVariableSegmentsSync(template);
  } catch {
    return []; // a template that does not parse is an error already (semantic-checks.ts)
  }
}

/** The Liquid templates of a step with their paths inside it: message fields and webhook payload strings. */
export function templatesOf(step: Step): [(string | number)[], string][] {
  switch (step.type) {
    case 'email':
      return present([['to'], step.to], [['subject'], step.subject], [['text'], step.text], [['html'], step.html]);
    case 'sms':
      return present([['to'], step.to], [['body'], step.body]);
    case 'webhook':
      return present(...Object.entries(step.payload ?? {}).map(([key, value]): [string[], unknown] => [['payload', key], value]));
    case 'coupon': case 'wait': case 'waitUntil': case 'waitForEvent': case 'branch': case 'split': case 'exit':
      return [];
    default:
      return assertNever(step, 'step type');
  }
}

function present(...fields: [(string | number)[], unknown][]): [(string | number)[], string][] {
  return fields.filter((field): field is [(string | number)[], string] => typeof field[1] === 'string');
}

function display(segments: Segments): string {
  return segments.map((s, i) => (Array.isArray(s) ? `[${display(s)}]` : typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][\w-]*$/.test(s) ? (i ? '.' : '') + s : `[${JSON.stringify(s)}]`)).join('');
}
