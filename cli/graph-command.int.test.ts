/** `nudge graph <rule-file>`: the journey diagram on stdout; an invalid rule or format fails with a reason. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journeyGraph } from '../rules/graph/journey-graph';
import { loadRules } from '../rules/load-rules';

const nudge = (...args: string[]) => spawnSync('node', ['bin/nudge.js', ...args], { encoding: 'utf8' });

describe('nudge graph', () => {
  const [trial] = loadRules(['rules/trial-activation.json']);

  it('prints Mermaid by default, and dot with --format dot', () => {
    expect(nudge('graph', 'rules/trial-activation.json')).toMatchObject({ status: 0, stdout: journeyGraph(trial!.rule, 'mermaid') });
    expect(nudge('graph', 'rules/trial-activation.json', '--format', 'dot')).toMatchObject({ status: 0, stdout: journeyGraph(trial!.rule, 'dot') });
  });

  it('rejects an unknown format', () => {
    const result = nudge('graph', 'rules/trial-activation.json', '--format', 'png');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--format must be mermaid or dot, not "png"/);
  });

  it('reports an invalid rule file like nudge validate, and draws nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-graph-'));
    writeFileSync(join(dir, 'bad.json'), '{\n  "id": "bad"\n}\n');
    const result = nudge('graph', join(dir, 'bad.json'));
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/bad\.json:1:1: \$\.name: /);
  });
});
