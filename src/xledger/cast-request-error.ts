import { ClientError } from 'graphql-request';
import {
  CREDITS_MAX_WAIT_MS,
  creditsPaused,
  errorFromGraphQLErrors,
  errorFromHttpStatus,
  errorFromNetwork,
  retryAfterSeconds,
  XledgerError,
  type XledgerGraphQLError,
} from './errors';

/**
 * What a failed request was, as one XledgerError: GraphQL errors, an HTTP status or a network
 * failure, with the wait Xledger advised for a rate limit or spent credits.
 */
export function castRequestError(
  error: unknown,
  options: { requestTimeoutMs: number; creditsWaitMs?: number },
): XledgerError {
  if (error instanceof XledgerError) return error;
  if (error instanceof ClientError) {
    const errors = (error.response.errors ?? []) as XledgerGraphQLError[];
    const status = error.response.status;
    const body = typeof error.response.body === 'string' ? error.response.body : '';
    const cast =
      errors.length > 0 ? errorFromGraphQLErrors(errors, status) : errorFromHttpStatus(status, body);
    return withHints(cast, error.response.headers, options.creditsWaitMs);
  }
  return errorFromNetwork(error, options.requestTimeoutMs);
}

/**
 * A limit's wait as Xledger advised it: its `Retry-After` header (HTTP 429, or 200 with an
 * error code) wins; spent credits without any hint wait the configured time.
 */
export function withHints(
  error: XledgerError,
  headers: Headers | undefined,
  creditsWaitMs: number | undefined,
): XledgerError {
  if (error.kind !== 'rate_limited' && error.kind !== 'credits_exhausted') return error;
  const seconds = retryAfterSeconds(headers?.get('retry-after') ?? null);
  let waitMs =
    seconds !== undefined ? Math.min(Math.max(seconds * 1000, 1_000), CREDITS_MAX_WAIT_MS) : undefined;
  if (waitMs === undefined && error.kind === 'credits_exhausted' && !error.details.waitAdvised) {
    waitMs = creditsWaitMs;
  }
  if (waitMs === undefined) return error;
  const message = error.kind === 'credits_exhausted' ? creditsPaused(waitMs).message : error.message;
  const waitAdvised = seconds !== undefined || error.details.waitAdvised === true;
  return new XledgerError(error.kind, message, { ...error.details, retryAfterMs: waitMs, waitAdvised });
}
