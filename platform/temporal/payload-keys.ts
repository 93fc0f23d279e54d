/**
 * The payload encryption keys (NUDGE_PAYLOAD_KEYS, NUDGE_PAYLOAD_KEY_CURRENT): one zod schema for the
 * setting, so a malformed key fails the start naming the key id, never the first encrypt.
 */
import { z } from 'zod';

/** A key id travels in every payload's metadata: short, printable, no separator characters. */
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** `id1:base64key,id2:base64key` → id → 32-byte AES-256 key. Empty: encryption off. */
export const PayloadKeysSetting = z
  .string()
  .default('')
  .transform((text, ctx) => {
    const keys = new Map<string, Buffer>();
    for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
      const colon = entry.indexOf(':');
      const id = colon < 0 ? entry : entry.slice(0, colon);
      if (colon < 0 || !KEY_ID.test(id)) {
        ctx.addIssue({ code: 'custom', message: `"${id}": each key is <id>:<base64 key>, the id letters, digits, ".", "_" or "-" (at most 64)` });
        continue;
      }
      const key = Buffer.from(entry.slice(colon + 1), 'base64');
      if (key.length !== 32) ctx.addIssue({ code: 'custom', message: `key "${id}": ${key.length} bytes after base64 decoding, AES-256 needs 32 (make one: openssl rand -base64 32)` });
      else if (keys.has(id)) ctx.addIssue({ code: 'custom', message: `key "${id}" is listed twice` });
      else keys.set(id, key);
    }
    return keys;
  })
  .describe('Temporal payload encryption keys (AES-256-GCM), comma-separated `<id>:<base64 32-byte key>`; any listed key decrypts, NUDGE_PAYLOAD_KEY_CURRENT encrypts. Example: "2026a:…,2026b:…". Unset: payloads are stored in the clear (nudge dev without the demo).');

export interface PayloadKeys {
  keys: ReadonlyMap<string, Buffer>;
  current: string;
}

/** The problems of a keys/current pair, each naming the setting (empty when fine). */
export function payloadKeyProblems(keys: ReadonlyMap<string, Buffer>, current: string | undefined): string[] {
  if (!keys.size) return current ? ['NUDGE_PAYLOAD_KEY_CURRENT: set, but NUDGE_PAYLOAD_KEYS lists no keys'] : [];
  if (!current) return keys.size === 1 ? [] : ['NUDGE_PAYLOAD_KEY_CURRENT: needed when NUDGE_PAYLOAD_KEYS lists more than one key (the one new payloads are encrypted with)'];
  return keys.has(current) ? [] : [`NUDGE_PAYLOAD_KEY_CURRENT: "${current}" is not one of NUDGE_PAYLOAD_KEYS (${[...keys.keys()].join(', ')})`];
}

/** The configured keys, or null when encryption is off. Assumes payloadKeyProblems found nothing. */
export function payloadKeysOf(config: { NUDGE_PAYLOAD_KEYS: ReadonlyMap<string, Buffer>; NUDGE_PAYLOAD_KEY_CURRENT?: string | undefined }): PayloadKeys | null {
  const keys = config.NUDGE_PAYLOAD_KEYS;
  if (!keys.size) return null;
  return { keys, current: config.NUDGE_PAYLOAD_KEY_CURRENT ?? [...keys.keys()][0]! };
}
