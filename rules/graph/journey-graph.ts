/**
 * `nudge graph`: a rule's journey as Mermaid (renders inline in GitHub pull requests and Markdown) or
 * Graphviz dot. Pure: rule in, diagram text out.
 */
import type { Rule } from '../schema/rule';
import { journeyDiagram, type Diagram, type DiagramEdge, type DiagramNode, type NodeKind } from './journey-diagram';

export const GRAPH_FORMATS = ['mermaid', 'dot'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export function journeyGraph(rule: Rule, format: GraphFormat): string {
  const diagram = journeyDiagram(rule);
  return format === 'mermaid' ? toMermaid(diagram) : toDot(diagram);
}

const MERMAID_SHAPES: Record<NodeKind, [string, string]> = {
  trigger: ['([', '])'],
  action: ['[', ']'],
  wait: ['(', ')'],
  branch: ['{', '}'],
  exit: ['([', '])'],
  end: ['((', '))'],
  note: ['>', ']'],
  exitEvent: ['([', '])'],
};

function toMermaid(diagram: Diagram): string {
  const node = ({ id, kind, lines }: DiagramNode) => {
    const [open, close] = MERMAID_SHAPES[kind];
    return `  ${id}${open}"${lines.map(mermaidText).join('<br/>')}"${close}`;
  };
  const edge = ({ from, to, label, dashed }: DiagramEdge) => `  ${from} ${dashed ? '-.->' : '-->'}${label ? `|"${mermaidText(label)}"|` : ''} ${to}`;
  return [`%% ${diagram.title.replace(/\s+/g, ' ')}`, 'flowchart TD', ...diagram.nodes.map(node), ...diagram.edges.map(edge)].join('\n') + '\n';
}

/** Mermaid labels are quoted; quotes, angle brackets and "#" are written as Mermaid entity codes. */
export function mermaidText(text: string): string {
  return text.replace(/[#"<>&`]/g, (c) => ({ '#': '#35;', '"': '#quot;', '<': '#lt;', '>': '#gt;', '&': '#amp;', '`': '#96;' })[c]!);
}

const DOT_ATTRIBUTES: Record<NodeKind, string> = {
  trigger: 'shape=box, style="rounded,bold"',
  action: 'shape=box',
  wait: 'shape=box, style=rounded',
  branch: 'shape=diamond',
  exit: 'shape=box, style="rounded,bold"',
  end: 'shape=doublecircle',
  note: 'shape=note',
  exitEvent: 'shape=box, style="rounded,dashed"',
};

function toDot(diagram: Diagram): string {
  const node = ({ id, kind, lines }: DiagramNode) => `  ${id} [label="${lines.map(dotText).join('\\n')}", ${DOT_ATTRIBUTES[kind]}];`;
  const edge = ({ from, to, label, dashed }: DiagramEdge) => {
    const attributes = [...(label ? [`label="${dotText(label)}"`] : []), ...(dashed ? ['style=dashed'] : [])];
    return `  ${from} -> ${to}${attributes.length ? ` [${attributes.join(', ')}]` : ''};`;
  };
  return [
    `digraph "${dotText(diagram.title)}" {`,
    '  node [fontname="Helvetica"];',
    '  edge [fontname="Helvetica"];',
    ...diagram.nodes.map(node),
    ...diagram.edges.map(edge),
    '}',
  ].join('\n') + '\n';
}

/** Text inside a double-quoted DOT string: backslashes and quotes escaped. */
export function dotText(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`);
}
