/**
 * The demo runs with Temporal payload encryption on, as production should: a key made at first run,
 * kept in the git-ignored data dir (beside the data it protects), and a codec server with a fresh token
 * so the Web UI and CLI can show the journeys decrypted.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `NUDGE_PAYLOAD_KEYS` for the demo: `demo:<base64 32 bytes>`, the same on every start while the data dir lives. */
export function demoPayloadKeys(dataDir: string): string {
  const file = join(dataDir, 'temporal-payload.key');
  if (!existsSync(file)) writeFileSync(file, `demo:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}
