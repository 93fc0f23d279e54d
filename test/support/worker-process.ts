/**
 * `nudge worker` as a separate OS process, for tests that must kill a worker the hard way (SIGKILL) in
 * the middle of an activity. It runs the real CLI (bin/nudge.js), so it bundles the workflow code
 * itself and builds its connectors from the environment it is given.
 */
import { spawnServer, type ManagedProcess } from '../../dev/servers/process';

export interface WorkerProcess {
  pid: number;
  /** Last lines the worker printed, for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown, no chance to record anything. Resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait (used at teardown). */
  stop(): Promise<void>;
}

export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerProcess> {
  const proc: ManagedProcess = spawnServer('nudge worker', process.execPath, ['bin/nudge.js', 'worker'], { LOG_LEVEL: 'info', ...env });
  const exited = new Promise<void>((resolve) => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) resolve();
    else proc.child.once('exit', () => resolve());
  });
  let started = false;
  let stdout = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nudge worker did not start within ${timeoutMs} ms:\n${proc.output()}`)), timeoutMs);
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      if (started) return;
      stdout = (stdout + chunk.toString()).slice(-10_000);
      if (/"msg":"worker started"/.test(stdout)) {
        started = true;
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      if (!started) reject(new Error(`nudge worker exited before it started (code ${proc.child.exitCode}):\n${proc.output()}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return {
    pid: proc.child.pid!,
    output: () => proc.output(),
    async kill() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
      await exited;
    },
    stop: () => proc.stop(),
  };
}
