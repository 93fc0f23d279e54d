/** A problem found in a rule file: which file, where in it (JSON path and line:column), and what is wrong. */
export interface RuleProblem {
  file: string;
  /** JSON path inside the file, e.g. ["steps", 2, "duration"]; empty for the whole file. */
  path: (string | number)[];
  message: string;
  /** 1-based position of the value at `path` (or of its nearest parent that exists in the file). */
  line?: number;
  column?: number;
}

/** A lint finding: the file is valid, but probably not what its author meant. `code` names the lint. */
export interface RuleWarning extends RuleProblem {
  code: string;
}

export function formatJsonPath(path: (string | number)[]): string {
  return '$' + path.map((part) => (typeof part === 'number' ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`)).join('');
}

/**
 * The one printed form of errors and warnings, "file:line:column: $.path: reason" (compiler style, so
 * editors and CI annotate the line); a warning reads "file:line:column: warning: $.path: reason [code]".
 */
export function formatProblem(problem: RuleProblem | RuleWarning): string {
  const where = problem.line !== undefined ? `${problem.file}:${problem.line}:${problem.column ?? 1}` : problem.file;
  const warning = 'code' in problem ? { prefix: 'warning: ', suffix: ` [${problem.code}]` } : { prefix: '', suffix: '' };
  return `${where}: ${warning.prefix}${formatJsonPath(problem.path)}: ${problem.message}${warning.suffix}`;
}

/** Thrown when a rule set does not load; the engine refuses to start on it. */
export class InvalidRuleSetError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(`invalid rule set (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'));
    this.name = 'InvalidRuleSetError';
  }
}
