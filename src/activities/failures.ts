import { ApplicationFailure } from '@temporalio/activity';
import { XledgerError, type XledgerErrorKind } from '../xledger/errors';

/** Failure types a workflow sees; non-retryable ones end the run at once with a clear message. */
export const failureTypes: Record<XledgerErrorKind, string> = {
  unauthorized: 'XledgerUnauthorized',
  missing_scope: 'XledgerMissingScope',
  credits_exhausted: 'XledgerCreditsExhausted',
  invalid_request: 'XledgerInvalidRequest',
  rate_limited: 'XledgerRateLimited',
  query_timeout: 'XledgerQueryTimeout',
  transient: 'XledgerUnavailable',
};

export interface FailureContext {
  tenantId: string;
  dataType: string;
  /** The scope the failing query needs, named when Xledger does not say. */
  scope?: string;
}

/**
 * Casts a known error to an ApplicationFailure whose message names the tenant and the data
 * type (and the scope, for a missing one). Messages come from XledgerError, which never
 * carries the token. Unknown errors go up unchanged and are retried.
 */
export function toFailure(error: unknown, context: FailureContext): unknown {
  if (!(error instanceof XledgerError)) return error;
  const where = `tenant ${context.tenantId}, ${context.dataType}`;
  let message = `${error.message} (${where})`;
  if (error.kind === 'missing_scope') {
    const scope = error.details.scope ?? context.scope ?? 'unknown';
    message = `The Xledger token of tenant ${context.tenantId} lacks the scope ${scope}, needed to sync ${context.dataType}. Add it to the token in Xledger (Administration → Access Control → GraphQL → API Tokens).`;
  } else if (error.kind === 'unauthorized') {
    message = `Xledger refused the token of tenant ${context.tenantId} while syncing ${context.dataType}: check that the token exists, is not revoked and belongs to this Xledger environment.`;
  }
  return ApplicationFailure.create({
    type: failureTypes[error.kind],
    message,
    nonRetryable: !error.retryable,
    details: [{ kind: error.kind, ...error.details }],
    ...(error.details.retryAfterMs ? { nextRetryDelay: error.details.retryAfterMs } : {}),
  });
}
