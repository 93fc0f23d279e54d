/**
 * Compiles a rule's nested step lists into a flat program: every step id maps to its step and to the
 * step that runs after it. After a nested list (branch / waitForEvent) ends, the program continues with
 * the step after the branching step. Pure and deterministic: used by the workflow and the simulator.
 */
import type { Step } from './steps';
import { nestedStepLists } from './step-tree';

export interface ProgramNode {
  step: Step;
  /** Step id to run after this one; null ends the journey. */
  next: string | null;
  /** Entry points of nested lists (resolved: an empty list jumps straight to `next`). */
  then?: string | null;
  else?: string | null;
  onEvent?: string | null;
  onTimeout?: string | null;
  /** Split steps: each variant's entry point, with its weight. */
  variants?: { name: string; weight: number; first: string | null }[];
}

export interface Program {
  first: string | null;
  nodes: Record<string, ProgramNode>;
}

// One program per steps list: every journey of a rule shares it (the machine only reads it), so a
// simulation or a worker does not compile the same rule again for each journey it starts.
const compiled = new WeakMap<Step[], Program>();

export function compileProgram(steps: Step[]): Program {
  let program = compiled.get(steps);
  if (!program) compiled.set(steps, (program = compile(steps)));
  return program;
}

function compile(steps: Step[]): Program {
  const nodes: Record<string, ProgramNode> = {};
  const compileList = (list: Step[], continuation: string | null): string | null => {
    for (let i = list.length - 1; i >= 0; i--) {
      const step = list[i]!;
      const next = i + 1 < list.length ? list[i + 1]!.id : continuation;
      if (nodes[step.id]) throw new Error(`step id "${step.id}" is used twice`);
      const node: ProgramNode = { step, next };
      nodes[step.id] = node;
      for (const nested of nestedStepLists(step)) {
        const entry = compileList(nested.steps, next);
        if (nested.key === 'variant') (node.variants ??= []).push({ ...nested.variant, first: entry });
        else node[nested.key] = entry;
      }
    }
    return list[0]?.id ?? continuation;
  };
  const first = compileList(steps, null);
  return { first, nodes };
}

export function nodeAt(program: Program, stepId: string): ProgramNode {
  const node = program.nodes[stepId];
  if (!node) throw new Error(`journey program has no step "${stepId}"`);
  return node;
}
