/** An invalid rule file stops the engine from starting and is reported with its file, line, column and JSON path. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config';
import { startEngine } from '../../engine/engine-service';
import { InvalidRuleSetError } from '../../rules/rule-errors';

function ruleDirWithBrokenFile() {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-rules-'));
  writeFileSync(join(dir, 'ok.json'), JSON.stringify({ id: 'ok', name: 'ok', version: 1, enabled: true, trigger: { event: 'x' }, entry: { policy: 'once' }, steps: [{ id: 'w', type: 'wait', duration: '1h' }] }));
  writeFileSync(join(dir, 'broken.json'), JSON.stringify({ id: 'broken', name: 'b', version: 1, enabled: true, trigger: { event: 'x' }, entry: { policy: 'once' }, steps: [{ id: 'a', type: 'email', subject: 's', text: 't' }, { id: 'w', type: 'wait', duration: '2 days' }] }, null, 2));
  return dir;
}

describe('invalid rule sets', () => {
  it('the engine refuses to start, naming the file, the JSON path and the reason', async () => {
    const dir = ruleDirWithBrokenFile();
    const error = await startEngine({ config: loadConfig({ NUDGE_RULES_DIR: dir, NATS_URL: 'nats://127.0.0.1:1' }) }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidRuleSetError);
    expect(error.message).toMatch(/broken\.json:22:19: \$\.steps\[1\]\.duration: a duration is a number and a unit/);
  });

  it('`nudge validate` prints the same and exits 1', () => {
    const dir = ruleDirWithBrokenFile();
    let output = '';
    let status = 0;
    try {
      execFileSync('node', ['bin/nudge.js', 'validate', dir], { encoding: 'utf8' });
    } catch (error) {
      output = (error as { stdout: string }).stdout;
      status = (error as { status: number }).status;
    }
    expect(status).toBe(1);
    expect(output).toMatch(/broken\.json:22:19: \$\.steps\[1\]\.duration: a duration is a number and a unit/);
    expect(output).toMatch(/ok {2}.*ok\.json: ok v1/);
  });

  it('the checked-in JSON Schema is what the zod schema generates', () => {
    expect(() => execFileSync('node', ['bin/nudge.js', 'schema', '--check'], { encoding: 'utf8' })).not.toThrow();
  });
});
