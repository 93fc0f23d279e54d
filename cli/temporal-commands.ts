/**
 * `nudge setup temporal` (search attributes on a real cluster) and `nudge codec-server` (decrypted
 * payloads for the Web UI and CLI). Both connect as every other service does: temporal-connection.ts.
 */
import type { Config } from '../platform/config';
import { codecServerOf, type CodecServerHandle } from '../platform/temporal/codec-server';
import { registerSearchAttributes } from '../platform/temporal/search-attributes';
import { connectTemporalClient } from '../platform/temporal/temporal-connection';

export async function runSetupTemporal(config: Config, out: (line: string) => void = console.log): Promise<void> {
  const { connection } = await connectTemporalClient(config);
  try {
    const { added, present } = await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    out(`namespace ${config.TEMPORAL_NAMESPACE} at ${config.TEMPORAL_ADDRESS}: ${added.length ? `added ${added.join(', ')}` : 'nothing to add'}${present.length ? `; already present: ${present.join(', ')}` : ''}`);
  } finally {
    await connection.close();
  }
}

export const runCodecServer = (config: Config): Promise<CodecServerHandle> => codecServerOf(config);
