/**
 * The scenario suite: every folder under test/scenarios/ is a marketing story (rule files, events,
 * starting profiles) plus the exact output `nudge simulate --format jsonl` must print for it. The
 * simulator runs in-process through the same function the CLI calls, so a difference here is a
 * difference a marketer would see. Each folder's README.md says in words what the output means.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulation, type SimulateOptions } from '../cli/simulate-command';
import { toJsonLines } from '../engine/simulate/output';
import { loadRules } from '../rules/load-rules';
import { walkSteps } from '../rules/schema/step-tree';

const ROOT = fileURLToPath(new URL('./scenarios', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));
const scenarios = readdirSync(ROOT).filter((name) => statSync(join(ROOT, name)).isDirectory()).sort();

/** Settings that change what the simulator prints; expected files are written with the defaults. */
const OUTPUT_AFFECTING_ENV = ['COUPON_SECRET', 'COUPON_CODE_LENGTH', 'COUPON_POOLS_DIR', 'NUDGE_PHONE_REGION', 'SMS_DEFAULT_COUNTRY'];
const savedEnv = new Map<string, string | undefined>();
beforeAll(() => {
  for (const name of OUTPUT_AFFECTING_ENV) {
    savedEnv.set(name, process.env[name]);
    delete process.env[name];
  }
});
afterAll(() => {
  for (const [name, value] of savedEnv) if (value !== undefined) process.env[name] = value;
});

function optionsFor(dir: string): SimulateOptions {
  const profiles = join(dir, 'profiles.jsonl');
  return { rules: join(dir, 'rules'), events: join(dir, 'events.jsonl'), ...(existsSync(profiles) ? { profiles } : {}), format: 'jsonl' };
}

/** The command that (re)writes a scenario's expected file, as a developer would type it. */
function regenerateCommand(dir: string): string {
  const d = relative(REPO, dir);
  const profiles = existsSync(join(dir, 'profiles.jsonl')) ? ` --profiles ${d}/profiles.jsonl` : '';
  return `node bin/nudge.js simulate --rules ${d}/rules --events ${d}/events.jsonl${profiles} --format jsonl > ${d}/expected.jsonl`;
}

it('finds the scenarios', () => {
  expect(scenarios).toEqual(expect.arrayContaining(['flagship', 'cart-abandonment', 'saas-activation', 'online-education', 'clinic-high-intent-lead']));
});

describe.each(scenarios)('scenario %s', (name) => {
  const dir = join(ROOT, name);

  it('has rules/, events.jsonl, expected.jsonl and a README.md', () => {
    const missing = ['events.jsonl', 'expected.jsonl', 'README.md'].filter((file) => !existsSync(join(dir, file)));
    const rulesDir = join(dir, 'rules');
    if (!existsSync(rulesDir) || !statSync(rulesDir).isDirectory()) missing.push('rules/');
    else if (!readdirSync(rulesDir).some((file) => file.endsWith('.json'))) missing.push('rules/*.json');
    expect(missing, `test/scenarios/${name} is missing files`).toEqual([]);
  });

  it('uses no waitUntil step (real-server replays only scale durations)', () => {
    const waitUntil = loadRules([join(dir, 'rules')]).flatMap(({ rule, file }) =>
      [...walkSteps(rule.steps)].filter(([step]) => step.type === 'waitUntil').map(([step]) => `${relative(REPO, file)}: ${step.id}`),
    );
    expect(waitUntil).toEqual([]);
  });

  it('simulates to exactly expected.jsonl', async () => {
    const expectedFile = join(dir, 'expected.jsonl');
    if (!existsSync(expectedFile)) throw new Error(`no expected.jsonl; create it with\n  ${regenerateCommand(dir)}\nand read it against README.md`);
    const actual = toJsonLines(await runSimulation(optionsFor(dir), {}, () => {}));
    const expected = readFileSync(expectedFile, 'utf8');
    if (actual !== expected) {
      throw new Error(
        `simulate output differs from test/scenarios/${name}/expected.jsonl (- expected, + actual):\n${lineDiff(expected, actual)}\n` +
          `If the change is intended, regenerate with\n  ${regenerateCommand(dir)}\nand check it against the story in README.md.`,
      );
    }
  });
});

/**
 * A line diff with two lines of context around each change (LCS; the files are small). Numbers are
 * expected-file lines for " " and "-" rows and output lines for "+" rows.
 */
function lineDiff(expected: string, actual: string, context = 2): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const rows: { kind: ' ' | '-' | '+'; line: number; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      rows.push({ kind: ' ', line: i + 1, text: a[i]! });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      rows.push({ kind: '-', line: i + 1, text: a[i]! });
      i++;
    } else {
      rows.push({ kind: '+', line: j + 1, text: b[j]! });
      j++;
    }
  }
  const near = (k: number) => rows.slice(Math.max(0, k - context), k + context + 1).some((row) => row.kind !== ' ');
  const out: string[] = [];
  let skipped = false;
  rows.forEach((row, k) => {
    if (!near(k)) {
      if (!skipped) out.push('  …');
      skipped = true;
      return;
    }
    skipped = false;
    const text = row.text === '' ? '(empty: end of file after the last newline)' : row.text;
    out.push(`${row.kind} ${String(row.line).padStart(4)}  ${text}`);
  });
  return out.join('\n');
}
