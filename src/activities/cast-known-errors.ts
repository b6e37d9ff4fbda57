import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { findStream } from '../datatypes/registry';
import { InvoiceAttemptError, InvoiceRejectedError } from '../domain/posting-errors';
import { PassIncompleteError, PassSupersededError } from '../store/sync-passes';
import { FailureType, xledgerFailureTypes } from '../domain/failure-types';
import { XledgerError, type XledgerErrorKind } from '../xledger/errors';
import { spentOf, type PassSpent } from './pass-spent';

/** Every Xledger error kind has its failure type: a kind added to xledger/errors.ts fails to compile here until it has one. */
const failureTypeOfKind: Record<XledgerErrorKind, string> = xledgerFailureTypes;

/**
 * The one place where the errors activities throw become the ApplicationFailures workflows see
 * (their types: src/domain/failure-types.ts). Registered on every worker (src/worker.ts) and on
 * the tests' activity environment (test/support/activities.ts); activities throw their own errors
 * and never build these failures themselves, except to ask for a particular retry delay.
 * Anything not known here goes up unchanged and is retried by the activity's policy.
 */
export const castKnownErrors: ActivityInterceptorsFactory = () => ({ inbound: castingInbound });

const castingInbound: ActivityInboundCallsInterceptor = {
  async execute(input, next) {
    try {
      return await next(input);
    } catch (error) {
      throw toFailure(error, input.args[0]);
    }
  },
};

/** The ApplicationFailure for a known error, given the activity's input; any other error as it is. */
export function toFailure(error: unknown, activityInput: unknown): unknown {
  if (error instanceof PassSupersededError || error instanceof PassIncompleteError) {
    // Retrying cannot help: a newer attempt or pass owns the stream now, or the pass's pages do
    // not cover the stream (the next full pass starts over).
    return ApplicationFailure.create({
      type: error instanceof PassSupersededError ? FailureType.passSuperseded : FailureType.passIncomplete,
      message: error.message,
      nonRetryable: true,
    });
  }
  if (error instanceof InvoiceRejectedError) {
    return ApplicationFailure.nonRetryable(error.message, FailureType.invoiceRejected);
  }
  if (error instanceof InvoiceAttemptError) {
    // Retried whatever the cause, even a refused token: an invoice is never dropped.
    const cause = error.cause instanceof XledgerError ? error.cause : undefined;
    return ApplicationFailure.create({
      message: error.message,
      type: cause ? failureTypeOfKind[cause.kind] : FailureType.invoicePostingError,
      ...(cause?.details.retryAfterMs ? { nextRetryDelay: cause.details.retryAfterMs } : {}),
    });
  }
  if (error instanceof XledgerError) return xledgerFailure(error, contextOf(activityInput), spentOf(error));
  return error;
}

interface FailureContext {
  tenantId?: string;
  dataType?: string;
  /** The scope the failing query needs, named when Xledger does not say. */
  scope?: string;
}

/** What the activity's input says about where it failed: tenant, data type, and its stream's scope. */
function contextOf(input: unknown): FailureContext {
  const fields = (input ?? {}) as { tenantId?: unknown; dataType?: unknown; stream?: unknown };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const scope = text(fields.stream) ? findStream(text(fields.stream)!)?.scope : undefined;
  return {
    ...(text(fields.tenantId) ? { tenantId: text(fields.tenantId) } : {}),
    ...(text(fields.dataType) ? { dataType: text(fields.dataType) } : {}),
    ...(scope ? { scope } : {}),
  };
}

/**
 * An Xledger error as a failure whose message names the tenant and the data type (and the scope,
 * for a missing one); non-retryable kinds end the run at once. Messages come from XledgerError,
 * which never carries the token.
 */
function xledgerFailure(error: XledgerError, context: FailureContext, spent?: PassSpent): ApplicationFailure {
  const tenant = context.tenantId ?? 'unknown';
  const what = context.dataType ?? 'its data';
  let message = `${error.message} (${[`tenant ${tenant}`, context.dataType].filter(Boolean).join(', ')})`;
  if (error.kind === 'missing_scope') {
    const scope = error.details.scope ?? context.scope ?? 'unknown';
    message = `The Xledger token of tenant ${tenant} lacks the scope ${scope}, needed to sync ${what}. Add it to the token in Xledger (Administration → Access Control → GraphQL → API Tokens).`;
  } else if (error.kind === 'unauthorized') {
    message = `Xledger refused the token of tenant ${tenant} while syncing ${what}: check that the token exists, is not revoked and belongs to this Xledger environment.`;
  }
  return ApplicationFailure.create({
    type: failureTypeOfKind[error.kind],
    message,
    nonRetryable: !error.retryable,
    // `spent`: what the failing pass spent in Xledger, for the failed run's record (pass-spent.ts).
    details: [{ kind: error.kind, ...error.details, ...(spent ? { spent } : {}) }],
    ...(error.details.retryAfterMs ? { nextRetryDelay: error.details.retryAfterMs } : {}),
  });
}
