/** Starting and stopping a child server process, with its output kept for error messages. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Last lines the process printed (stdout and stderr), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export function spawnServer(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = {}): ManagedProcess {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
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
