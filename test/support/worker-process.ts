/**
 * `nudge worker` as a separate OS process, for tests that must kill a worker the hard way (SIGKILL) in
 * the middle of an activity. It runs the real CLI (bin/nudge.js), so it bundles the workflow code
 * itself and builds its connectors from the environment it is given.
 */
import { startNudgeProcess, type NudgeProcess } from './nudge-process';

export type WorkerProcess = NudgeProcess;

export const startWorkerProcess = (env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerProcess> => startNudgeProcess('worker', 'worker started', env, timeoutMs);
