/**
 * Starts the Temporal CLI dev server (`temporal server start-dev`) on loopback with nudge's search
 * attributes, optional SQLite persistence and the Web UI. The server's version check is disabled so
 * nothing goes to the network.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../platform/temporal/search-attributes';
import { temporalBinary } from './binaries';
import { freePort, spawnServer, waitUntilReady } from './process';

export interface TemporalServerHandle {
  address: string;
  port: number;
  uiUrl: string | null;
  dbFile: string;
  stop(): Promise<void>;
}

export interface TemporalServerOptions {
  port?: number;
  /** Web UI port; null runs the server headless. */
  uiPort?: number | null;
  /** SQLite file; default: a fresh temp file. */
  dbFile?: string;
  /** Codec server the Web UI decodes payloads through (`nudge codec-server`; the demo's, token in the path). */
  uiCodecEndpoint?: string;
}

export async function startTemporal(options: TemporalServerOptions = {}): Promise<TemporalServerHandle> {
  const port = options.port ?? (await freePort());
  const uiPort = options.uiPort === undefined ? await freePort() : options.uiPort;
  const dbFile = options.dbFile ?? join(mkdtempSync(join(tmpdir(), 'nudge-temporal-')), 'temporal.db');
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--http-port', String(await freePort()),
    '--metrics-port', String(await freePort()),
    '--db-filename', dbFile,
    '--log-level', 'error',
    '--dynamic-config-value', 'frontend.enableServerVersionCheck=false',
    ...SEARCH_ATTRIBUTE_FLAGS.flatMap((flag) => ['--search-attribute', flag]),
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort), ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : [])]),
  ];
  const proc = spawnServer('temporal', temporalBinary(), args, { TEMPORAL_VERSION_CHECK_DISABLED: '1' });
  const address = `127.0.0.1:${port}`;
  await waitUntilReady('temporal server', proc, async () => {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    } finally {
      await connection.close();
    }
  }, 60_000);
  return { address, port, uiUrl: uiPort === null ? null : `http://127.0.0.1:${uiPort}`, dbFile, stop: () => proc.stop() };
}
