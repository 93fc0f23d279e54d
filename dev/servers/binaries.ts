/**
 * Where the pinned server binaries live. scripts/install-servers.sh builds them into the same cache,
 * keyed by version; this module only finds them (it never downloads or builds at run time).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const TEMPORAL_VERSION = process.env.NUDGE_TEMPORAL_VERSION ?? '1.5.1';
export const NATS_VERSION = process.env.NUDGE_NATS_VERSION ?? '2.15.2';

function cacheRoot(): string {
  if (process.env.NUDGE_BIN_CACHE) return process.env.NUDGE_BIN_CACHE;
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'nudge', 'bin');
}

function locate(name: string, version: string, override: string | undefined): string {
  const path = override ?? join(cacheRoot(), `${name}-${version}`, name);
  if (!existsSync(path)) {
    throw new Error(
      `${name} ${version} is not installed at ${path}: run "npm run setup" (scripts/install-servers.sh) first`,
    );
  }
  return path;
}

export const temporalBinary = (): string => locate('temporal', TEMPORAL_VERSION, process.env.TEMPORAL_BIN);
export const natsServerBinary = (): string => locate('nats-server', NATS_VERSION, process.env.NATS_SERVER_BIN);
