import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

/**
 * The one logger. Secrets are redacted by key wherever they sit in a logged object, so a
 * careless `log.info({ tenant })` cannot leak a token. Error messages are kept free of
 * secrets at the source (see xledger/errors.ts); redaction is the second line.
 */
export const redactedKeys = [
  'token',
  'apiToken',
  'xledgerToken',
  'authorization',
  'Authorization',
  'encryptionKey',
  'tokenEncryptionKey',
  'password',
];

const redactPaths = redactedKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `headers.${key}`]);

export const logger: Logger = pino({
  name: 'xledger-sync',
  level: process.env.LOG_LEVEL ?? 'info', // entry points set config.logLevel; this covers imports before that
  redact: { paths: redactPaths, censor: '[redacted]' },
  mixin: traceIds,
});

/** A line written inside a traced span names it (observability/tracing.ts); nothing without tracing. */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

export type { Logger };
