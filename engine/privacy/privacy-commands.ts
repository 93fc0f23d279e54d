/** The `nudge export` and `nudge erase` commands: run against the configured NATS and Temporal, print the result. */
import type { Config } from '../../platform/config';
import { eraseUser, formatEraseSummary } from './erase-user';
import { exportUser } from './export-user';

export async function runExport(config: Config, userId: string, out: (text: string) => void = console.log): Promise<number> {
  out(JSON.stringify(await exportUser(config, userId), null, 2));
  return 0;
}

export async function runErase(config: Config, userId: string, out: (line: string) => void = console.log): Promise<number> {
  for (const line of formatEraseSummary(await eraseUser(config, userId))) out(line);
  return 0;
}
