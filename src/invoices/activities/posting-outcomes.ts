import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../../activities/deps';
import { countInvoiceOutcome } from '../../observability/metrics';
import { FailureType } from '../../domain/failure-types';
import type { XledgerClient } from '../../xledger/client';
import { XledgerError } from '../../xledger/errors';
import { findVoucherCopies, type PostedVoucher } from '../../xledger/gl-import';
import { duplicateFinding } from '../duplicates';
import { announceInvoiceOutcome } from '../outcome-event';
import { settleInvoice, updateOutbox } from '../outbox';
import { InvoiceAttemptError, InvoiceRejectedError } from '../../domain/posting-errors';
import { postingLeaseUntil } from '../posting-leases';
import { invoiceSettings } from '../posting-settings';
import type { Settlement } from '../settlement';
import type { Attention } from '../../store/tenant-state';
import type { InvoiceRef } from '../invoice';

/**
 * Settles the invoice as rejected (unless it was settled already: the first decision holds) and
 * tells SEMINE. Returns the settlement that holds.
 */
export async function settleRejected(
  deps: ActivityDeps,
  ref: InvoiceRef,
  reasons: string[],
  xledger: Settlement['xledger'],
): Promise<Settlement> {
  const { settlement } = await settleInvoice(deps.db, ref.tenantId, ref.invoiceId, {
    state: 'rejected',
    reasons,
    xledger,
    postedAt: null,
    duplicate: null,
  });
  await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId);
  return settlement;
}

/**
 * The voucher is posted in Xledger. Before settling, Xledger is asked once more for every copy
 * by the lines' extIdentifiers: a copy that landed late (a create whose answer was lost) is found
 * here and settled as a duplicate — the invoice and the tenant need attention, SEMINE is told
 * (`invoice.duplicated`), a metric counts it. Never silent, never hidden.
 */
export async function settlePosted(
  deps: ActivityDeps,
  client: XledgerClient,
  ref: InvoiceRef,
  keys: string[],
  posted: PostedVoucher,
  lineDbIds: number[],
): Promise<Settlement> {
  const copies = await findVoucherCopies(client, keys);
  const duplicate = duplicateFinding(ref.invoiceId, keys, copies);
  const { settlement, mine } = await settleInvoice(deps.db, ref.tenantId, ref.invoiceId, {
    state: 'posted',
    reasons: [],
    xledger: { lineDbIds, transactionDbId: posted.transactionDbId },
    postedAt: new Date(),
    duplicate,
  });
  // sent, posted, rejected and retried are counted by the activity interceptor
  // (observability/activity-metrics.ts); what it cannot tell apart is counted here.
  if (mine) {
    if (settlement.duplicate) {
      countInvoiceOutcome(ref.tenantId, 'duplicated');
      deps.logger.error(
        { tenantId: ref.tenantId, invoiceId: ref.invoiceId, copies: settlement.duplicate.copies },
        settlement.duplicate.message,
      );
    }
  }
  await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId);
  return settlement;
}

/**
 * Another attempt holds the posting lease (a zombie of a timed-out attempt, or one on a worker
 * that died), or it recorded a send first. Retry right when the lease would lapse, not on the
 * growing backoff: after a worker crash the invoice resumes as soon as it safely can.
 */
export async function postingBusy(deps: ActivityDeps, ref: InvoiceRef): Promise<ApplicationFailure> {
  const leaseMs = invoiceSettings(deps).leaseMs;
  const until = (await postingLeaseUntil(deps.db, ref.tenantId, ref.invoiceId))?.getTime() ?? Date.now();
  return ApplicationFailure.create({
    message: `Invoice ${ref.invoiceId} of tenant ${ref.tenantId}: another attempt holds the posting; waiting for it`,
    type: FailureType.invoicePostingBusy,
    nextRetryDelay: Math.min(Math.max(until - Date.now() + 1_000, 1_000), leaseMs + 1_000),
  });
}

/**
 * The tenant needs attention that holds new creates (a duplicated invoice): nothing is sent; the
 * invoice shows why and is retried until an operator resumes the tenant.
 */
export async function postingHeld(
  deps: ActivityDeps,
  ref: InvoiceRef,
  attention: Attention,
): Promise<ApplicationFailure> {
  const reason = `held: tenant ${ref.tenantId} needs attention since ${attention.since} (${attention.reason}); resume the tenant once resolved`;
  await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { lastError: reason });
  return ApplicationFailure.create({
    message: `Invoice ${ref.invoiceId} of tenant ${ref.tenantId}: ${reason}`,
    type: FailureType.invoicePostingHeld,
    nextRetryDelay: invoiceSettings(deps).heldRecheckMs,
  });
}

/** The invoice stays unsettled: shown as such with why, retried when it may be settled. */
export async function unsettled(
  deps: ActivityDeps,
  ref: InvoiceRef,
  reason: string,
  retryInMs: number,
): Promise<ApplicationFailure> {
  await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'unsettled', lastError: reason });
  countInvoiceOutcome(ref.tenantId, 'unsettled');
  return ApplicationFailure.create({
    message: `Invoice ${ref.invoiceId} of tenant ${ref.tenantId}: ${reason}`,
    type: FailureType.invoiceUnsettled,
    nextRetryDelay: Math.max(Math.round(retryInMs), 1_000),
  });
}

/** Whether the request never left whole, or Xledger refused it whole before running it: it cannot have landed. */
export function refusedWhole(error: unknown): boolean {
  return (
    error instanceof XledgerError &&
    (error.details.neverSent === true ||
      ['rate_limited', 'credits_exhausted', 'unauthorized', 'missing_scope', 'invalid_request'].includes(
        error.kind,
      ))
  );
}

/**
 * What ends a failed attempt, recorded in the outbox first (cast-known-errors.ts makes it the
 * workflow's failure). Xledger refusing the create itself is permanent (the invoice is rejected with its message);
 * anything else — limits, outages, even a revoked token — is retried until it succeeds, with
 * the invoice shown as `retrying` and the last error: an invoice is never dropped. A refused
 * look-up or outcome check (`read`) says nothing about the invoice — our document does not fit
 * this Xledger — so it is retried too, never turned into a rejection of a voucher that may be
 * posted already.
 */
export async function invoiceFailure(
  deps: ActivityDeps,
  ref: InvoiceRef,
  error: unknown,
  request: 'create' | 'read',
): Promise<InvoiceRejectedError | InvoiceAttemptError> {
  let message = error instanceof Error ? error.message : String(error);
  const refused = error instanceof XledgerError && error.kind === 'invalid_request';
  if (refused && request === 'create') {
    const settlement = await settleRejected(deps, ref, [message], { lineDbIds: [], transactionDbId: null });
    if (settlement.state === 'rejected')
      return new InvoiceRejectedError(ref, settlement.reasons[0] ?? message);
  }
  if (refused)
    message = `Xledger refused a posting look-up (check the posting operations against its schema): ${message}`;
  await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'retrying', lastError: message });
  return new InvoiceAttemptError(ref, message, { cause: error });
}
