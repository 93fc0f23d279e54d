/**
 * Routes the Temporal SDK's own logs through nudge's logger (pino), at nudge's log level, instead of
 * the SDK's console output. The SDK runtime is per process and can be installed once.
 */
import { Runtime, type Logger as TemporalLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../logger';

let installed = false;

export function installTemporalRuntime(log: Logger): void {
  if (installed) return;
  installed = true;
  const sdk = log.child({ component: 'temporal-sdk' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[level];
    sdk[method](meta ?? {}, message);
  };
  const logger: TemporalLogger = {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
  Runtime.install({ logger });
}
