/**
 * A server dies with the process that started it: stop() ends its whole process group (what it forked
 * too), and when the starting process is killed -9 — a crashed test file — the watchdog ends the server
 * within seconds. The leftover check the test run ends with finds exactly this run's marked servers.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { leftoverServers, RUN_MARKER } from '../../test/support/leftover-servers';
import { spawnServer } from './process';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/** pids this file must not leave behind, whatever an assertion did. */
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

/** Resolves with the first line `child` prints. */
const firstLine = (stream: NodeJS.ReadableStream) =>
  new Promise<string>((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!.trim());
    });
    stream.once('end', () => reject(new Error(`no line printed; got ${JSON.stringify(text)}`)));
  });

describe('spawnServer', () => {
  it('stop() ends the server and everything it forked (the process group)', async () => {
    const server = spawnServer('forking server', '/bin/sh', ['-c', 'sleep 300 & echo $!; wait']);
    const grandchild = Number(await firstLine(server.child.stdout!));
    started.push(grandchild);
    expect(alive(grandchild)).toBe(true);
    await server.stop();
    expect(await goneWithin(grandchild, 2000)).toBe(true);
  });

  it('a server outlives no parent killed with SIGKILL: the watchdog ends it within seconds', async () => {
    // A stand-in for a test file's process: it starts a server and is then killed -9.
    const script = `const { spawnServer } = await import('./dev/servers/process.ts'); const s = spawnServer('sleeper', 'sleep', ['300']); console.log(s.child.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const server = Number(await firstLine(parent.stdout));
    started.push(server, parent.pid!);
    expect(alive(server)).toBe(true);
    parent.kill('SIGKILL');
    expect(await goneWithin(server, 10_000)).toBe(true);
  }, 20_000);
});

describe('leftoverServers', () => {
  it('finds the running servers of this run by its marker, and nothing once they stopped', async () => {
    const runId = randomUUID();
    const server = spawnServer('marked', 'sleep', ['300'], { [RUN_MARKER]: runId });
    const other = spawnServer('another run', 'sleep', ['300'], { [RUN_MARKER]: randomUUID() });
    started.push(server.child.pid!, other.child.pid!);
    const found = leftoverServers(runId);
    expect(found.filter((l) => l.server === 'marked')).toEqual([{ pid: server.child.pid, server: 'marked', command: 'sleep 300' }]);
    expect(found.map((l) => l.server).sort()).toEqual(expect.arrayContaining(['marked', 'marked watchdog'])); // its watchdog is marked too
    expect(found.some((l) => l.pid === other.child.pid)).toBe(false);
    await server.stop();
    await other.stop();
    expect(await goneWithin(server.child.pid!, 2000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // the watchdogs notice within a second
    expect(leftoverServers(runId)).toEqual([]);
  });
});
