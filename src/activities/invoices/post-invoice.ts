import { ApplicationFailure, Context } from '@temporalio/activity';
import { voucherLines } from '../../invoices/invoice';
import { getOutboxInvoice, updateOutbox } from '../../store/invoice-outbox';
import { claimPosting, postingLeaseUntil, releasePosting } from '../../store/posting-leases';
import { XledgerError } from '../../xledger/errors';
import { addImportLines, findImportLines } from '../../xledger/gl-import';
import { tenantXledger, type ActivityDeps } from '../deps';
import { failureTypes } from '../failures';
import { stepAsideWhenCrowded } from './step-aside';
import type { InvoiceRef } from './validate-invoice';

/**
 * Posts the invoice's voucher to Xledger at most once. Before any create, Xledger is asked for
 * lines with the invoice's extIdentifiers: a retry after a lost answer finds the first post
 * instead of making a second. Only the lines not found are sent, all in one request.
 */
export function createPostInvoice(deps: ActivityDeps) {
  return async function postInvoice(
    ref: InvoiceRef,
  ): Promise<{ lineDbIds: number[]; foundExisting: number }> {
    const stored = await getOutboxInvoice(deps.db, ref.tenantId, ref.invoiceId);
    if (!stored) throw new Error(`Invoice ${ref.invoiceId} of tenant ${ref.tenantId} is not in the outbox`);
    if (stored.xledger.lineDbIds.length > 0) return { lineDbIds: stored.xledger.lineDbIds, foundExisting: 0 };
    const { client } = await tenantXledger(deps, ref.tenantId);
    stepAsideWhenCrowded(client, ref);
    const info = Context.current().info;
    const holder = `${info.workflowExecution?.runId ?? info.activityId}:${info.attempt}`;
    if (!(await claimPosting(deps.db, ref.tenantId, ref.invoiceId, holder, POSTING_LEASE_MS))) {
      throw await postingBusy(deps, ref);
    }
    // Keep the lease (and the heartbeat) alive while this attempt works; a killed worker's lease
    // lapses soon. Everything after the claim is inside try/finally: whatever throws, the timer
    // stops and the lease is released (a leaked timer would hold the lease for the life of the
    // process, and the invoice could never be posted by another attempt).
    const keepAlive = setInterval(() => {
      Context.current().heartbeat();
      void claimPosting(deps.db, ref.tenantId, ref.invoiceId, holder, POSTING_LEASE_MS).catch(
        () => undefined,
      );
    }, LEASE_RENEWAL_MS);
    try {
      await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'posting' });
      const lines = voucherLines(ref.tenantId, stored.invoice);
      try {
        const existing = await findImportLines(
          client,
          lines.map((line) => line.clientId),
        );
        const byKey = new Map(existing.map((line) => [line.extIdentifier, line.dbId]));
        const missing = lines.filter((line) => !byKey.has(line.clientId));
        if (missing.length > 0) {
          // Still the holder? (A renewal can fail, e.g. MongoDB out of reach for longer than the
          // lease; then another attempt may have taken over and must be the only one to create.)
          if (!(await claimPosting(deps.db, ref.tenantId, ref.invoiceId, holder, POSTING_LEASE_MS))) {
            throw await postingBusy(deps, ref);
          }
          const created = await addImportLines(client, missing);
          missing.forEach((line, index) => byKey.set(line.clientId, created[index] ?? -1));
        }
        const lineDbIds = lines.map((line) => byKey.get(line.clientId) ?? -1);
        await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, {
          state: 'accepted',
          lastError: null,
          xledger: { lineDbIds, transactionDbId: null },
        });
        return { lineDbIds, foundExisting: lines.length - missing.length };
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        throw await invoiceFailure(deps, ref, error);
      }
    } finally {
      clearInterval(keepAlive);
      await releasePosting(deps.db, ref.tenantId, ref.invoiceId, holder);
    }
  };
}

/**
 * Another attempt holds the posting lease (a zombie of a timed-out attempt, or one on a worker
 * that died). Retry right when the lease would lapse, not on the growing backoff: after a worker
 * crash the invoice resumes as soon as it safely can.
 */
async function postingBusy(deps: ActivityDeps, ref: InvoiceRef): Promise<ApplicationFailure> {
  const until = (await postingLeaseUntil(deps.db, ref.tenantId, ref.invoiceId))?.getTime() ?? Date.now();
  return ApplicationFailure.create({
    message: `Invoice ${ref.invoiceId} of tenant ${ref.tenantId}: an earlier attempt may still be posting; waiting for it`,
    type: 'InvoicePostingBusy',
    nextRetryDelay: Math.min(Math.max(until - Date.now() + 1_000, 1_000), POSTING_LEASE_MS + 1_000),
  });
}

/** Renewed every few seconds by the attempt holding it; lapses soon after a worker dies. */
const POSTING_LEASE_MS = 45_000;
const LEASE_RENEWAL_MS = 5_000;

/**
 * Xledger refusing the request itself is permanent (the invoice is rejected with its message);
 * anything else — limits, outages, even a revoked token — is retried until it succeeds, with
 * the invoice shown as `retrying` and the last error: an invoice is never dropped.
 */
export async function invoiceFailure(deps: ActivityDeps, ref: InvoiceRef, error: unknown): Promise<unknown> {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof XledgerError && error.kind === 'invalid_request') {
    await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'rejected', reasons: [message] });
    return ApplicationFailure.nonRetryable(
      `Invoice ${ref.invoiceId} of tenant ${ref.tenantId}: ${message}`,
      'InvoiceRejected',
    );
  }
  await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'retrying', lastError: message });
  return ApplicationFailure.create({
    message: `Invoice ${ref.invoiceId} of tenant ${ref.tenantId}: ${message}`,
    type: error instanceof XledgerError ? failureTypes[error.kind] : 'InvoicePostingError',
    ...(error instanceof XledgerError && error.details.retryAfterMs
      ? { nextRetryDelay: error.details.retryAfterMs }
      : {}),
  });
}
