/** A problem found in a rule file: which file, where in it (JSON path), and what is wrong. */
export interface RuleProblem {
  file: string;
  /** JSON path inside the file, e.g. ["steps", 2, "duration"]; empty for the whole file. */
  path: (string | number)[];
  message: string;
}

export function formatJsonPath(path: (string | number)[]): string {
  return '$' + path.map((part) => (typeof part === 'number' ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`)).join('');
}

export function formatProblem(problem: RuleProblem): string {
  return `${problem.file}: ${formatJsonPath(problem.path)}: ${problem.message}`;
}

/** Thrown when a rule set does not load; the engine refuses to start on it. */
export class InvalidRuleSetError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(`invalid rule set (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'));
    this.name = 'InvalidRuleSetError';
  }
}
