/**
 * A nudge command (`nudge engine`, `nudge worker`) as a separate OS process, for tests that must kill it
 * the hard way (SIGKILL) mid-work. It runs the real CLI (bin/nudge.js) with the environment it is given
 * and is ready once it logs its start line.
 */
import { spawnServer, type ManagedProcess } from '../../dev/servers/process';

export interface NudgeProcess {
  pid: number;
  /** Last lines the process printed, for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown, no chance to record anything. Resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait (used at teardown). */
  stop(): Promise<void>;
}

export async function startNudgeProcess(command: 'engine' | 'worker', readyMessage: string, env: Record<string, string>, timeoutMs = 60_000): Promise<NudgeProcess> {
  const proc: ManagedProcess = spawnServer(`nudge ${command}`, process.execPath, ['bin/nudge.js', command], { LOG_LEVEL: 'info', ...env });
  const exited = new Promise<void>((resolve) => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) resolve();
    else proc.child.once('exit', () => resolve());
  });
  let started = false;
  let stdout = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nudge ${command} did not start within ${timeoutMs} ms:\n${proc.output()}`)), timeoutMs);
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      if (started) return;
      stdout = (stdout + chunk.toString()).slice(-10_000);
      if (stdout.includes(`"msg":"${readyMessage}"`)) {
        started = true;
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      if (!started) reject(new Error(`nudge ${command} exited before it started (code ${proc.child.exitCode}):\n${proc.output()}`));
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
