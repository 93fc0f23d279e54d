/**
 * Servers a test run left running. The run's global setup puts a run id in the environment
 * (NUDGE_TEST_RUN), every process inherits it, and spawnServer marks the servers it starts
 * (NUDGE_SERVER=<name>); a process with both, after the run, is a leftover of this run — never another
 * person's server on a shared machine, which carries another run id or none. Linux (/proc); elsewhere
 * nothing is found.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SERVER_MARKER } from '../../dev/servers/process';

export const RUN_MARKER = 'NUDGE_TEST_RUN';

export interface Leftover {
  pid: number;
  server: string;
  command: string;
}

export function leftoverServers(runId: string): Leftover[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
  const found: Leftover[] = [];
  for (const pid of pids) {
    if (pid === process.pid) continue;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile, or another user's
    }
    if (!environ.includes(`${RUN_MARKER}=${runId}`)) continue;
    const server = environ.find((entry) => entry.startsWith(`${SERVER_MARKER}=`))?.slice(SERVER_MARKER.length + 1);
    if (server === undefined) continue;
    let command = '';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200);
    } catch {
      continue;
    }
    // a zombie (exited, not yet reaped) has an empty command line: it is not running
    if (command) found.push({ pid, server, command });
  }
  return found;
}

/**
 * Waits up to `graceMs` for this run's servers to be gone (a crashed file's watchdog needs a few
 * seconds); kills what is left (it carries this run's id, so it is ours) and reports it.
 */
export async function reapLeftoverServers(runId: string, graceMs = 8000): Promise<Leftover[]> {
  const deadline = Date.now() + graceMs;
  let left = leftoverServers(runId);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = leftoverServers(runId);
  }
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left;
}
