/** Condition trees in one short line, for diagram labels: `traits.plan in ["team", "business"]`. */
import type { Condition, ConditionLeaf } from '../schema/conditions';

const OPERATORS: Record<string, string> = {
  equal: '=',
  notEqual: '≠',
  lessThan: '<',
  lessThanInclusive: '≤',
  greaterThan: '>',
  greaterThanInclusive: '≥',
  in: 'in',
  notIn: 'not in',
  contains: 'contains',
  doesNotContain: 'does not contain',
};

export function summarizeCondition(node: Condition): string {
  if ('all' in node) return node.all.map((child) => grouped(child)).join(' and ');
  if ('any' in node) return node.any.map((child) => grouped(child)).join(' or ');
  if ('not' in node) return `not ${grouped(node.not)}`;
  return summarizeLeaf(node);
}

/** The top-level parts of a condition, so a long `all` can be drawn one part per line. */
export function conditionParts(node: Condition): string[] {
  return 'all' in node ? node.all.map(grouped) : [summarizeCondition(node)];
}

function grouped(node: Condition): string {
  const text = summarizeCondition(node);
  return ('all' in node && node.all.length > 1) || ('any' in node && node.any.length > 1) ? `(${text})` : text;
}

function summarizeLeaf(leaf: ConditionLeaf): string {
  const operator = OPERATORS[leaf.operator] ?? leaf.operator;
  switch (leaf.fact) {
    case 'event':
    case 'traits':
    case 'tags':
      return `${leaf.fact}${leaf.path.slice(1)} ${operator} ${value(leaf.value)}`;
    case 'count':
      return `count(${leaf.params.event}${where(leaf.params.where)}, ${leaf.params.within}) ${operator} ${leaf.value}`;
    case 'secondsSinceLast':
      return `seconds since last ${leaf.params.event}${where(leaf.params.where)} ${operator} ${leaf.value}`;
    case 'score':
      return `score(${leaf.params.model}) ${operator} ${leaf.value}`;
  }
}

function where(filter: Record<string, unknown> | undefined): string {
  const parts = Object.entries(filter ?? {}).map(([key, v]) => `${key} = ${value(v)}`);
  return parts.length ? ` where ${parts.join(', ')}` : '';
}

function value(v: unknown): string {
  return Array.isArray(v) ? `[${v.map(value).join(', ')}]` : JSON.stringify(v) ?? 'null';
}
