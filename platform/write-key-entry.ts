/**
 * The write keys the collector accepts (NUDGE_WRITE_KEYS): write key -> its source name, or -> an
 * object with the source and the web origins whose pages may send with the key. A key without
 * `allowedOrigins` is for servers and apps: a browser sending with it is refused, so a key copied out
 * of a mobile app cannot be used by another site's pages.
 */
import { z } from 'zod';

/**
 * An origin exactly as a browser sends it in `Origin` (scheme://host[:port], no path); "https://*.example.com"
 * for every subdomain of a host (not the host itself); or "*" for any page.
 */
export const WebOrigin = z
  .string()
  .refine((text) => text === '*' || isOrigin(text.replace(/^(https?:\/\/)\*\./, '$1x.')), {
    message: 'expected an origin as browsers send it: "https://www.example.com" or "http://localhost:3000" (scheme, host and port only, no trailing slash), "https://*.example.com" for its subdomains, or "*" for any page',
  });

const isOrigin = (text: string) => /^https?:\/\/[^/?#\s*]+$/.test(text) && safeOrigin(text) === text;

function safeOrigin(text: string): string | undefined {
  try {
    return new URL(text).origin;
  } catch {
    return undefined;
  }
}

const SourceName = z.string().min(1, 'a source name must not be empty').max(200);

export const WriteKeyEntry = z.union([
  SourceName,
  z
    .object({
      source: SourceName.describe('Recorded in each event\'s context.source. Example: "web".'),
      allowedOrigins: z.array(WebOrigin).max(100).default([]).describe('Origins of the pages that may send with this key (CORS). Example: ["https://www.example.com"].'),
    })
    .strict(),
]);
export type WriteKeyEntry = z.input<typeof WriteKeyEntry>;

export const WriteKeys = z
  .record(z.string().min(1, 'a write key must not be empty').max(200), WriteKeyEntry)
  .refine((keys) => Object.keys(keys).length > 0, 'at least one write key is needed');
export type WriteKeys = Readonly<Record<string, WriteKeyEntry>>;

/** The source name and allowed origins of an entry, whichever form it was written in. */
export function writeKeySettings(entry: WriteKeyEntry): { source: string; allowedOrigins: readonly string[] } {
  return typeof entry === 'string' ? { source: entry, allowedOrigins: [] } : { source: entry.source, allowedOrigins: entry.allowedOrigins ?? [] };
}
