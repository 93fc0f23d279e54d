/**
 * A condition tree that cannot be compiled: json-rules-engine would reject it when the rule is added
 * (no `value`, `not` over an array), or it uses something the compiled evaluator does not implement (a
 * fact reference in `value` whose path is not a plain property path). Raised when rules load, so a rule
 * never fails later, on an event.
 */
export const CONDITION_COMPILE_ERROR = 'condition_invalid';

export class ConditionCompileError extends Error {
  readonly code = CONDITION_COMPILE_ERROR;

  /** `at`: where in the tree, as a JSON path relative to it (e.g. ["all", 1, "path"]). */
  constructor(readonly at: (string | number)[], message: string) {
    super(`${formatAt(at)}: ${message}`);
    this.name = 'ConditionCompileError';
  }
}

const formatAt = (at: (string | number)[]) => '$' + at.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('');
