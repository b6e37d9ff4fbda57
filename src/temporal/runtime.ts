import { DefaultLogger, Runtime, type LogEntry, type LogLevel, type MetricsBuffer } from '@temporalio/worker';
import { logger as defaultLogger, type Logger } from '../logger';

const levels: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};

/**
 * Routes the Temporal SDK's own logs through our pino logger, and its metrics into a buffer when
 * one is given. Runtime.install may run once per process, before any worker; later calls keep
 * the first installation.
 *
 * The runtime installs no signal handlers (`shutdownSignals: []`): the entry points own SIGINT
 * and SIGTERM (worker.ts `shutdownOnSignals`), so that a worker is asked to drain exactly once
 * and the process ends when the drain is done.
 */
export function installTemporalRuntimeLogging(options: { metricsBuffer?: MetricsBuffer } = {}): void {
  try {
    Runtime.install({
      logger: new DefaultLogger(levels[defaultLogger.level] ?? 'WARN', sdkLogToPino(defaultLogger)),
      shutdownSignals: [],
      // The SDK's metrics, buffered for the worker's /metrics (observability/sdk-metrics.ts).
      ...(options.metricsBuffer
        ? { telemetryOptions: { metrics: { buffer: options.metricsBuffer, attachServiceName: false } } }
        : {}),
    });
  } catch {
    // Already installed in this process.
  }
}

/**
 * One SDK log entry as one pino line. The SDK passes errors under `error` (e.g. "Activity
 * failed" with `{ error, durationMs }`); pino serializes an Error only under `err` (an Error's
 * message and stack are not enumerable: under any other key it prints `{}`), so it is moved there
 * and the line names the error's class, its failure type when it has one, and its message.
 */
export function sdkLogToPino(logger: Logger): (entry: LogEntry) => void {
  return (entry) => {
    const { level, message, meta } = entry;
    const log = logger.child({ component: 'temporal-sdk' });
    const { error, ...rest } = meta ?? {};
    // An ApplicationFailure's own type (e.g. XledgerUnavailable) is not its class name: keep both.
    const failureType = (error as { type?: unknown } | undefined)?.type;
    const fields =
      error === undefined
        ? rest
        : { ...rest, err: error, ...(typeof failureType === 'string' ? { failureType } : {}) };
    if (level === 'ERROR') log.error(fields, message);
    else if (level === 'WARN') log.warn(fields, message);
    else if (level === 'INFO') log.info(fields, message);
    else log.debug(fields, message);
  };
}
