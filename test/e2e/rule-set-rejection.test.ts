/** An invalid rule or tag file stops the engine from starting and is reported with its file, line, column and JSON path. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config';
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

  it('so does a tag cycle, and so does a rule reading a tag no tag file defines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-tags-'));
    const reads = (name: string, tag: string) => ({ name, kind: 'condition', conditions: { all: [{ fact: 'tags', path: `$.${tag}`, operator: 'equal', value: true }] } });
    writeFileSync(join(dir, 'a.json'), JSON.stringify(reads('a', 'b'), null, 2));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(reads('b', 'a'), null, 2));
    const cycle = await startEngine({ config: loadConfig({ NUDGE_RULES_DIR: 'rules', NUDGE_TAGS_DIR: dir, NATS_URL: 'nats://127.0.0.1:1' }) }).catch((e) => e);
    expect(cycle).toBeInstanceOf(InvalidRuleSetError);
    expect(cycle.message).toMatch(/a\.json:8:17: \$\.conditions\.all\[0\]\.path: tags cannot read each other in a cycle: a → b → a/);
    const unknown = await startEngine({ config: loadConfig({ NUDGE_RULES_DIR: 'test/fixtures/tags', NUDGE_TAGS_DIR: join(dir, 'none'), NATS_URL: 'nats://127.0.0.1:1' }) }).catch((e) => e);
    expect(unknown).toBeInstanceOf(InvalidRuleSetError);
    expect(unknown.message).toMatch(/high-intent-offer\.json:10:\d+: \$\.trigger\.conditions\.all\[0\]\.path: no tag "high_intent" is defined: there are no tag files/);
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
