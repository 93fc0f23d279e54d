/**
 * One run id for every tier of a test run that starts servers. Each such tier's global setup joins the
 * run (the first one puts the id in the environment, which every test file and server inherits) and
 * leaves it at teardown; the last one to leave checks for leftovers, so a tier that tears down first
 * cannot mistake another tier's still-running servers (the e2e tier's Temporal) for leftovers. The
 * global setups of all projects run in vitest's main process, so the run is kept on globalThis.
 */
import { randomUUID } from 'node:crypto';
import { reapLeftoverServers, RUN_MARKER } from './leftover-servers';

interface ServerRun {
  runId: string;
  members: number;
}

const RUN_KEY = Symbol.for('nudge.test.serverRun');
const holder = globalThis as { [RUN_KEY]?: ServerRun };

export interface ServerRunMembership {
  runId: string;
  /** Leaves the run; the last member to leave fails the run (exit code 1) if a marked server is still running. */
  leave(): Promise<void>;
}

export function joinServerRun(): ServerRunMembership {
  const run = (holder[RUN_KEY] ??= { runId: randomUUID(), members: 0 });
  run.members++;
  process.env[RUN_MARKER] = run.runId;
  let left = false;
  return {
    runId: run.runId,
    async leave() {
      if (left) return;
      left = true;
      if (--run.members > 0) return;
      delete holder[RUN_KEY];
      // Every server this run started must be gone by now, also those of a test file that crashed.
      const leftovers = await reapLeftoverServers(run.runId);
      if (leftovers.length === 0) return;
      // vitest reports an error thrown here but still exits 0, so the exit code is set as well.
      process.exitCode = 1;
      console.error(`servers started by this test run were still running after it (now killed):\n${leftovers.map((l) => `  ${l.server} (pid ${l.pid}): ${l.command}`).join('\n')}`);
    },
  };
}
