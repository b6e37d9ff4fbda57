import { ApplicationFailure, Context } from '@temporalio/activity';
import { announceInvoiceOutcome } from '../outcome-event';
import { tenantXledger, type ActivityDeps } from '../../activities/deps';
import { FailureType } from '../../temporal/failure-types';
import { postingSettingsOf } from '../../tenant';
import type { XledgerClient } from '../../xledger/client';
import { XledgerError } from '../../xledger/errors';
import { addImportLines, findEarlierPosting } from '../../xledger/gl-import';
import { voucherLines } from '../invoice';
import { getOutboxInvoice, updateOutbox, type OutboxInvoice } from '../outbox';
import { InvoiceAttemptError, InvoiceRejectedError } from '../posting-errors';
import { claimPosting, postingLeaseUntil, releasePosting } from '../posting-leases';
import { stepAsideWhenCrowded } from './step-aside';
import type { InvoiceRef } from './validate-invoice';

/**
 * Posts the invoice's voucher to Xledger at most once. Before any create, Xledger is asked for the
 * voucher by its lines' extIdentifiers — as staging lines or as an already posted payable, since
 * no public source says a processed line stays readable: a retry after a lost answer finds the
 * first post instead of making a second. If anything of the voucher is found, nothing is sent:
 * its lines went in one request, so sending "the missing ones" could only make a second voucher.
 */
export function createPostInvoice(deps: ActivityDeps) {
  return async function postInvoice(
    ref: InvoiceRef,
  ): Promise<{ lineDbIds: number[]; foundExisting: number; posted: boolean }> {
    const stored = await getOutboxInvoice(deps.db, ref.tenantId, ref.invoiceId);
    if (!stored) throw new Error(`Invoice ${ref.invoiceId} of tenant ${ref.tenantId} is not in the outbox`);
    if (alreadyInXledger(stored)) {
      await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId); // if an earlier attempt died before it
      return { lineDbIds: stored.xledger.lineDbIds, foundExisting: 0, posted: stored.state === 'posted' };
    }
    const { tenant, client } = await tenantXledger(deps, ref.tenantId);
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
      // An earlier attempt that got this far may have sent the create (its answer lost). An
      // invoice still pending has never been sent (every send follows the write below), so the
      // first attempt skips the look-up: a request that could only find nothing. The state is
      // read again under the lease: an attempt that stalled before its claim (a zombie) must see
      // the sends of the attempts that ran meanwhile.
      const current = (await getOutboxInvoice(deps.db, ref.tenantId, ref.invoiceId)) ?? stored;
      const mayHaveSent = current.state !== 'pending' || alreadyInXledger(current);
      await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'posting' });
      const lines = voucherLines(ref.tenantId, stored.invoice, postingSettingsOf(tenant));
      const keys = lines.map((line) => line.clientId);
      let sending = false;
      try {
        const earlier = mayHaveSent ? await lookUpEarlierPosting(client, keys) : NOTHING_EARLIER;
        if (earlier.posted) {
          const lineDbIds = earlier.lines.length > 0 ? inVoucherOrder(keys, earlier.lines) : [];
          await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, {
            state: 'posted',
            lastError: null,
            reasons: [],
            postedAt: new Date(),
            xledger: { lineDbIds, transactionDbId: earlier.posted.transactionDbId },
          });
          await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId);
          return { lineDbIds, foundExisting: keys.length, posted: true };
        }
        let lineDbIds: number[];
        if (earlier.lines.length > 0) {
          lineDbIds = inVoucherOrder(keys, earlier.lines);
          if (lineDbIds.includes(-1)) {
            deps.logger.warn(
              {
                tenantId: ref.tenantId,
                invoiceId: ref.invoiceId,
                found: earlier.lines.length,
                lines: keys.length,
              },
              'only part of the voucher was found in Xledger; nothing more is sent',
            );
          }
        } else {
          // Still the holder? (A renewal can fail, e.g. MongoDB out of reach for longer than the
          // lease; then another attempt may have taken over and must be the only one to create.)
          if (!(await claimPosting(deps.db, ref.tenantId, ref.invoiceId, holder, POSTING_LEASE_MS))) {
            throw await postingBusy(deps, ref);
          }
          sending = true;
          lineDbIds = await addImportLines(client, lines);
        }
        await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, {
          state: 'accepted',
          lastError: null,
          xledger: { lineDbIds, transactionDbId: null },
        });
        return {
          lineDbIds,
          foundExisting: earlier.lines.length,
          posted: false,
        };
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        throw await invoiceFailure(deps, ref, error, sending ? 'create' : 'read');
      }
    } finally {
      clearInterval(keepAlive);
      await releasePosting(deps.db, ref.tenantId, ref.invoiceId, holder);
    }
  };
}

/** The outbox already knows the voucher is in Xledger (sent, posted or rejected): nothing to do. */
function alreadyInXledger(stored: OutboxInvoice): boolean {
  return (
    stored.state === 'posted' ||
    stored.state === 'rejected' ||
    stored.xledger.lineDbIds.length > 0 ||
    stored.xledger.transactionDbId !== null
  );
}

/** What the look-up finds when nothing was sent before. */
const NOTHING_EARLIER: Awaited<ReturnType<typeof findEarlierPosting>> = { lines: [], posted: null };

/**
 * The look-up before a create, when an earlier attempt may have sent the voucher. When nothing
 * is found, look once more in a new request: a voucher processed between the look-up's two
 * reads (the staging line gone, the payable not yet read) is found then as the payable. One
 * extra request, only on a retry that found nothing.
 */
async function lookUpEarlierPosting(client: XledgerClient, keys: string[]) {
  const first = await findEarlierPosting(client, keys);
  if (first.posted || first.lines.length > 0) return first;
  return findEarlierPosting(client, keys);
}

/** The found staging lines' dbIds in the voucher's line order (-1 where a line was not found). */
function inVoucherOrder(
  keys: string[],
  found: Array<{ dbId: number; extIdentifier: string | null }>,
): number[] {
  const byKey = new Map(found.map((line) => [line.extIdentifier, line.dbId]));
  return keys.map((key) => byKey.get(key) ?? -1);
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
    type: FailureType.invoicePostingBusy,
    nextRetryDelay: Math.min(Math.max(until - Date.now() + 1_000, 1_000), POSTING_LEASE_MS + 1_000),
  });
}

/** Renewed every few seconds by the attempt holding it; lapses soon after a worker dies. */
const POSTING_LEASE_MS = 45_000;
const LEASE_RENEWAL_MS = 5_000;

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
    await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'rejected', reasons: [message] });
    await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId);
    return new InvoiceRejectedError(ref, message);
  }
  if (refused)
    message = `Xledger refused a posting look-up (check the posting operations against its schema): ${message}`;
  await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'retrying', lastError: message });
  return new InvoiceAttemptError(ref, message, { cause: error });
}
