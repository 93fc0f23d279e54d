/**
 * Starting and stopping a child server process, with its output kept for error messages. A server dies
 * with the process that started it, however that process ends: `stop()` kills the server's whole
 * process group (servers that fork die too), and a watchdog kills the group when the parent is gone
 * (a test file's process crashed or was killed -9, `nudge dev` was interrupted), so no nats-server or
 * temporal outlives a test run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Every process spawnServer starts carries its name here, so leftovers can be found (test/support/leftover-servers.ts). */
export const SERVER_MARKER = 'NUDGE_SERVER';

/**
 * Polls the parent's pid once a second and, when it is gone, TERMs the server's process group, then
 * KILLs it 5 s later. It ignores INT/TERM/HUP: a Ctrl-C or a group signal that kills the parent must not
 * kill the watchdog before it has done its job; it exits by itself once the server is gone. POSIX sh,
 * so it needs nothing installed and works on Linux and macOS.
 */
const WATCHDOG = `
trap '' INT TERM HUP
parent=$1; server=$2
while kill -0 "$parent" 2>/dev/null; do
  kill -0 "$server" 2>/dev/null || exit 0
  sleep 1
done
kill -s TERM -- "-$server" 2>/dev/null
sleep 5
kill -s KILL -- "-$server" 2>/dev/null
exit 0
`;

function startWatchdog(name: string, serverPid: number, env: NodeJS.ProcessEnv): void {
  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'nudge-watchdog', String(process.pid), String(serverPid)], {
    env: { ...env, [SERVER_MARKER]: `${name} watchdog` },
    stdio: 'ignore',
  });
  watchdog.on('error', () => undefined); // no /bin/sh: stop() still kills the group
  watchdog.unref();
}

/** Signals the process group led by `pid` (the server and anything it forked); false when it is gone. */
function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Last lines the process printed (stdout and stderr), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export function spawnServer(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = {}): ManagedProcess {
  const childEnv = { ...process.env, ...env, [SERVER_MARKER]: name };
  // detached: the server leads a process group of its own, which stop() and the watchdog kill as one.
  const child = spawn(bin, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) startWatchdog(name, child.pid, childEnv);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  return {
    child,
    output: () => lines.slice(-40).join('\n'),
    async stop() {
      if (exited || child.pid === undefined) return;
      if (!killGroup(child.pid, 'SIGTERM')) child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL') || child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Asks the OS for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `probe` until it resolves true, or throws after `timeoutMs` with the process output. */
export async function waitUntilReady(
  name: string,
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`${name} exited with code ${proc.child.exitCode} before it was ready:\n${proc.output()}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.stop();
  throw new Error(`${name} was not ready after ${timeoutMs} ms:\n${proc.output()}`);
}
