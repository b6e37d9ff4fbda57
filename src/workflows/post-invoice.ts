import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureType } from '../domain/failure-types';
import { InvoiceStateKey } from '../temporal/search-attributes';
import type { PostInvoiceInput, PostInvoiceResult } from '../temporal/definitions';
import { failureMessage, pauseAfterFailedRound } from './rounds';

/**
 * Retries back off to one minute at most: the worker's per-token request gate already bounds
 * what reaches Xledger, and an attempt that stepped aside for a busy token (step-aside.ts) counts
 * as an attempt too — a longer cap would leave invoices idle for minutes after a backlog.
 * Attempts are bounded (about a quarter of an hour of them); a call that runs out of them does
 * not end the workflow but pauses it and starts another round (see `inRounds`).
 */
const retry = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 20,
};

/** They heartbeat while they run: after a worker dies they are retried within seconds, not minutes. */
const { validateInvoice, checkInvoiceOutcome } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry,
});

/** Posting is retried until it succeeds or Xledger refuses the request: an invoice is never dropped (inRounds). */
const { postInvoice } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { ...retry, nonRetryableErrorTypes: [FailureType.invoiceRejected] },
});

const FIRST_CHECK_DELAY_MS = 2_000;
const LONGEST_CHECK_DELAY_MS = 10 * 60_000;

/**
 * The one workflow of one invoice (its id is derived from the invoice key; see
 * temporal/starters.ts): validate against the synced master data, post the voucher
 * exactly once, then wait on durable timers for Xledger's processing: posted or rejected.
 */
export async function postInvoiceWorkflow(input: PostInvoiceInput): Promise<PostInvoiceResult> {
  const validation = await inRounds(input, 'validateInvoice', 'pending', () => validateInvoice(input));
  if (!validation.ok) return finish('rejected', validation.reasons);

  setState('posting');
  try {
    await inRounds(input, 'postInvoice', 'posting', () => postInvoice(input));
  } catch (error) {
    const rejection = rejectionOf(error);
    if (rejection) return finish('rejected', [rejection.message]);
    throw error;
  }
  setState('accepted');

  let delay = FIRST_CHECK_DELAY_MS;
  for (;;) {
    await sleep(delay);
    const { outcome, reasons } = await inRounds(input, 'checkInvoiceOutcome', 'accepted', () =>
      checkInvoiceOutcome(input),
    );
    if (outcome !== 'accepted') return finish(outcome, reasons);
    delay = Math.min(delay * 2, LONGEST_CHECK_DELAY_MS);
  }
}

/** Versions the rounds below: histories recorded before them replay as they ran. */
export const INVOICE_RETRY_ROUNDS_PATCH = 'invoice-retry-rounds';

/**
 * Runs an invoice activity until it returns. One call is one round of bounded attempts; a round
 * that fails for good (attempts exhausted, a non-retryable failure, a timeout) must not fail the
 * workflow: its id is never reused, so the invoice would be stranded. The invoice shows
 * `retrying`, the workflow waits on a durable timer and starts another round. Posting stays
 * exactly-once across rounds as across attempts: the activity looks the voucher up before any
 * create and holds the posting lease while it works. Xledger refusing the invoice
 * (InvoiceRejected) and cancellation end the rounds.
 */
async function inRounds<T>(
  input: PostInvoiceInput,
  activity: string,
  state: string,
  call: () => Promise<T>,
): Promise<T> {
  for (let round = 1; ; round++) {
    try {
      return await call();
    } catch (error) {
      if (
        !(error instanceof ActivityFailure) ||
        isCancellation(error) ||
        rejectionOf(error) ||
        !patched(INVOICE_RETRY_ROUNDS_PATCH)
      ) {
        throw error;
      }
      const pauseMs = pauseAfterFailedRound(round);
      log.warn('invoice activity failed; retrying after a pause', {
        tenantId: input.tenantId,
        invoiceId: input.invoiceId,
        activity,
        round,
        pauseSeconds: pauseMs / 1000,
        reason: failureMessage(error),
      });
      setState('retrying');
      await sleep(pauseMs);
      setState(state);
    }
  }
}

function rejectionOf(error: unknown): ApplicationFailure | undefined {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure && cause.type === FailureType.invoiceRejected
    ? cause
    : undefined;
}

function setState(state: string): void {
  upsertSearchAttributes([{ key: InvoiceStateKey, value: state }]);
}

function finish(state: PostInvoiceResult['state'], reasons: string[]): PostInvoiceResult {
  setState(state);
  return { state, reasons };
}
