/**
 * A rule's journey as nodes and edges: the trigger, one node per step, the end, and the exit events.
 * Edges come from the compiled program the journey machine runs (workflows/journey/program.ts), so the
 * picture shows what production does, including where a nested list rejoins the main line.
 */
import { compileProgram } from '../schema/step-program';
import type { EntryPolicy, Rule } from '../schema/rule';
import type { Step } from '../schema/steps';
import { walkSteps } from '../schema/step-tree';
import { assertNever } from '../../shared/assert-never';
import { describeTrigger, isEventTrigger } from '../schema/trigger';
import { conditionParts, summarizeCondition } from './condition-summary';

export type NodeKind = 'trigger' | 'action' | 'wait' | 'branch' | 'exit' | 'end' | 'note' | 'exitEvent';

export interface DiagramNode {
  id: string;
  kind: NodeKind;
  /** Label lines, plain text (renderers escape). */
  lines: string[];
}

export interface DiagramEdge {
  from: string;
  to: string;
  label?: string;
  dashed?: boolean;
}

export interface Diagram {
  title: string;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

/** Longest label text (in characters) before it is cut with "…"; trigger conditions get one line each. */
const MAX_TEXT = 48;
const MAX_CONDITION_LINE = 72;

export function journeyDiagram(rule: Rule): Diagram {
  const program = compileProgram(rule.steps);
  const steps = [...walkSteps(rule.steps)].map(([step]) => step);
  const ids = nodeIds(steps.map((step) => step.id));
  const target = (stepId: string | null | undefined) => (stepId ? ids.get(stepId)! : 'done');

  const nodes: DiagramNode[] = [{ id: 'trigger', kind: 'trigger', lines: triggerLines(rule) }];
  const edges: DiagramEdge[] = [{ from: 'trigger', to: target(program.first) }];
  for (const step of steps) {
    const id = ids.get(step.id)!;
    const node = program.nodes[step.id]!;
    nodes.push({ id, kind: kindOf(step), lines: [...stepLines(step, rule), step.id] });
    switch (step.type) {
      case 'branch':
        edges.push({ from: id, to: target(node.then), label: 'then' }, { from: id, to: target(node.else), label: 'else' });
        break;
      case 'split':
        for (const variant of node.variants ?? []) edges.push({ from: id, to: target(variant.first), label: `${variant.name} (${variant.weight})` });
        break;
      case 'waitForEvent':
        edges.push({ from: id, to: target(node.onEvent), label: step.event });
        if (step.timeout !== undefined) edges.push({ from: id, to: target(node.onTimeout), label: `timeout ${step.timeout}` });
        break;
      case 'exit':
        edges.push({ from: id, to: 'done' });
        break;
      case 'coupon': case 'email': case 'sms': case 'webhook': case 'wait': case 'waitUntil':
        edges.push({ from: id, to: target(node.next) });
        break;
      default:
        assertNever(step, 'step type in the journey diagram');
    }
  }
  nodes.push({ id: 'done', kind: 'end', lines: ['end'] });
  if (rule.exitOn.length) {
    nodes.push({ id: 'any_step', kind: 'note', lines: ['any step'] });
    for (const [i, exit] of rule.exitOn.entries()) {
      const id = `exit_on_${i}`;
      nodes.push({ id, kind: 'exitEvent', lines: [`exit: ${exit.event}`, ...(exit.conditions ? [`if ${short(summarizeCondition(exit.conditions))}`] : [])] });
      edges.push({ from: 'any_step', to: id, dashed: true });
    }
  }
  if (rule.goal) {
    // The goal is watched from entry for its window, in treatment and holdout control alike.
    const { goal } = rule;
    nodes.push({ id: 'goal', kind: 'note', lines: [`goal: ${goal.event} within ${goal.within}`, ...(goal.conditions ? [`if ${short(summarizeCondition(goal.conditions))}`] : []), 'converted (treatment and control)'] });
    edges.push({ from: 'trigger', to: 'goal', dashed: true });
  }
  return { title: `${rule.id} v${rule.version}: ${rule.name}`, nodes, edges };
}

/** Identifiers both Mermaid and Graphviz accept ("end" is a Mermaid keyword, "-" is not an id character). */
function nodeIds(stepIds: string[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const stepId of stepIds) {
    const base = `s_${stepId.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    ids.set(stepId, id);
  }
  return ids;
}

function triggerLines(rule: Rule): string[] {
  const conditions = rule.trigger.conditions ? conditionParts(rule.trigger.conditions).map((part, i) => `${i ? 'and' : 'if'} ${short(part, MAX_CONDITION_LINE)}`) : [];
  return [isEventTrigger(rule.trigger) ? `on ${rule.trigger.event}` : `on ${describeTrigger(rule.trigger)}`, ...conditions, `entry: ${entryText(rule.entry)}`];
}

function entryText(entry: EntryPolicy): string {
  switch (entry.policy) {
    case 'once':
      return 'once per user';
    case 'oncePerWindow':
      return `once per ${entry.window}`;
    case 'everyTime':
      return 'every time';
  }
}

function kindOf(step: Step): NodeKind {
  switch (step.type) {
    case 'wait':
    case 'waitUntil':
    case 'waitForEvent':
      return 'wait';
    case 'branch':
    case 'split':
      return 'branch';
    case 'exit':
      return 'exit';
    case 'coupon': case 'email': case 'sms': case 'webhook':
      return 'action';
    default:
      return assertNever(step, 'step type in the journey diagram');
  }
}

function stepLines(step: Step, rule: Rule): string[] {
  switch (step.type) {
    case 'coupon':
      return [`coupon (${step.pool ? `pool ${step.pool}` : step.prefix ? `generated, prefix ${step.prefix}` : 'generated'})`];
    case 'email':
      return [`email: "${short(step.subject)}"`];
    case 'sms':
      return [`sms: "${short(step.body)}"`];
    case 'webhook':
      return [`webhook: POST ${short(step.url)}`];
    case 'wait':
      return [`wait ${step.duration}`];
    case 'waitUntil':
      if (step.time === 'best') return [`wait until the best hour (else ${step.fallback ?? '?'} ${step.timezone ?? "user's time zone"})`];
      return [`wait until ${step.time} (${step.timezone ?? `user's time zone, else ${rule.timezone ?? 'the default time zone'}`})`];
    case 'waitForEvent':
      return [
        `wait for ${step.event} ${step.timeout === undefined ? '(no timeout)' : `≤ ${step.timeout}`}`,
        ...(step.conditions ? [`where ${short(summarizeCondition(step.conditions))}`] : []),
      ];
    case 'branch':
      return [`branch: ${short(summarizeCondition(step.conditions))}`];
    case 'split':
      return [`split: ${step.variants.map((v) => v.name).join(' / ')}`];
    case 'exit':
      return ['exit'];
    default:
      return assertNever(step, 'step type in the journey diagram');
  }
}

/** One line, at most `max` characters. */
function short(text: string, max = MAX_TEXT): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}
