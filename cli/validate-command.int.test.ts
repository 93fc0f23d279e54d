/**
 * `nudge validate`: errors, then warnings, then a summary; exit code 1 on any error, and on warnings
 * only with --strict. Run as a user runs it (node bin/nudge.js).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { email, ruleJson, wait } from '../test/support/unit-rules';

function ruleDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-validate-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(content, null, 2));
  return dir;
}

function nudge(...args: string[]): { status: number | null; lines: string[] } {
  const result = spawnSync('node', ['bin/nudge.js', ...args], { encoding: 'utf8' });
  return { status: result.status, lines: result.stdout.trimEnd().split('\n') };
}

const warnsOnly = { 'loops.json': ruleJson({ id: 'loops', entry: { policy: 'everyTime' }, exitOn: [{ event: 'page_viewed' }], steps: [email('hello', 'Hi', 'Hello')] }) };

describe('nudge validate', () => {
  it('with only warnings: prints them with their code and exits 0', () => {
    const dir = ruleDir(warnsOnly);
    const { status, lines } = nudge('validate', dir);
    expect(status).toBe(0);
    expect(lines).toEqual([
      expect.stringMatching(/loops\.json:10:15: warning: \$\.entry\.policy: "everyTime": .* \[unbounded-reentry\]$/),
      expect.stringMatching(/^ok {2}.*loops\.json: loops v1$/),
      '1 rule valid, 0 errors, 1 warning',
    ]);
  });

  it('with --strict: the same warnings fail', () => {
    const { status, lines } = nudge('validate', '--strict', ruleDir(warnsOnly));
    expect(status).toBe(1);
    expect(lines.at(-1)).toBe('1 rule valid, 0 errors, 1 warning (--strict: warnings fail)');
  });

  it('with errors: prints the errors first, then the warnings of the valid rules, and exits 1', () => {
    const dir = ruleDir({ ...warnsOnly, 'broken.json': ruleJson({ id: 'broken', steps: [email('a'), wait('w', '2 days')] }) });
    const { status, lines } = nudge('validate', dir);
    expect(status).toBe(1);
    expect(lines).toEqual([
      expect.stringMatching(/broken\.json:22:19: \$\.steps\[1\]\.duration: a duration is a number and a unit/),
      expect.stringMatching(/loops\.json:10:15: warning: .*\[unbounded-reentry\]$/),
      expect.stringMatching(/^ok {2}.*loops\.json: loops v1$/),
      '1 error, 1 warning: the rule set is invalid',
    ]);
  });

  it('the example rules and tags have no errors (their warnings are the SMS ones)', () => {
    const { status, lines } = nudge('validate', 'rules');
    expect(status).toBe(0);
    expect(lines.at(-1)).toBe('6 rules, 4 tags valid, 0 errors, 2 warnings');
    expect(lines).toContain('ok  rules/tags/funnel-stage.json: tag funnel_stage (stages)');
    expect(lines).toContain('ok  rules/catalog.json: event catalog');
  });
});
