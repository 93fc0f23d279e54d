/**
 * The default of a switch that must handle every member of a union (step types, commands, outcomes):
 * a member added later makes the call a compile error at each such switch, instead of a case that
 * silently falls through (a journey that loops, a step nobody runs). At run time it names what it got.
 */
export function assertNever(value: never, what: string): never {
  const shown = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  throw new Error(`unhandled ${what}: ${shown}`);
}
