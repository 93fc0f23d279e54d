/** `nudge api token create`: a new API token, printed once, with the NUDGE_API_TOKENS entry that admits it (only its hash). */
import { ApiRole } from '../platform/api-token-entry';
import { createApiToken } from '../engine/api/api-tokens';
import { parseDuration } from '../rules/schema/parse-duration';

export interface TokenCreateOptions {
  role: string;
  name: string;
  /** A duration ("90d") after which the token stops working. */
  expiresIn?: string;
}

export function runTokenCreate(options: TokenCreateOptions, out: (text: string) => void = (t) => process.stdout.write(t), now = new Date()): number {
  const role = ApiRole.safeParse(options.role);
  if (!role.success) throw new Error(`--role must be viewer or operator, not "${options.role}"`);
  const expiresAt = options.expiresIn ? new Date(now.getTime() + parseDuration(options.expiresIn)) : undefined;
  const { token, entry } = createApiToken({ name: options.name, role: role.data, ...(expiresAt ? { expiresAt } : {}) });
  out(
    `token (shown once; give it to "${entry.name}", it is not stored anywhere):\n  ${token}\n\n` +
      `add this entry to the JSON array in NUDGE_API_TOKENS (it holds only the token's SHA-256):\n  ${JSON.stringify(entry)}\n`,
  );
  return 0;
}
