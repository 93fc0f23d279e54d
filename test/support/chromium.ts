/** The Chromium the browser tests drive with playwright-core: the system's, never a downloaded one. */
import { execFileSync } from 'node:child_process';

/** Debian's chromium (scripts/setup.sh installs it); NUDGE_CHROMIUM names another. */
export function chromiumPath(): string {
  if (process.env.NUDGE_CHROMIUM) return process.env.NUDGE_CHROMIUM;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    throw new Error('no chromium on PATH: run scripts/setup.sh (apt-get install chromium) or set NUDGE_CHROMIUM to a Chromium executable');
  }
}
