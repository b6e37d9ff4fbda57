import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { logger } from '../logger';

const levels: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};

/**
 * Routes the Temporal SDK's own logs through our pino logger. Runtime.install may run once
 * per process, before any worker; later calls keep the first installation.
 */
export function installTemporalRuntimeLogging(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger(levels[logger.level] ?? 'WARN', (entry) => {
        const { level, message, meta } = entry;
        const log = logger.child({ component: 'temporal-sdk' });
        const fields = meta ?? {};
        if (level === 'ERROR') log.error(fields, message);
        else if (level === 'WARN') log.warn(fields, message);
        else if (level === 'INFO') log.info(fields, message);
        else log.debug(fields, message);
      }),
    });
  } catch {
    // Already installed in this process.
  }
}
