import { announceInvoiceOutcome } from '../outcome-event';
import { tenantXledger, type ActivityDeps } from '../../activities/deps';
import { blocksPosting, checkImportOutcome, importErrorReason } from '../../xledger/gl-import';
import { voucherKeys } from '../invoice';
import { getOutboxInvoice, updateOutbox } from '../outbox';
import { whileHeartbeating } from './keep-alive';
import { invoiceFailure } from './post-invoice';
import { stepAsideWhenCrowded } from './step-aside';
import type { InvoiceRef } from './validate-invoice';

export type InvoiceOutcome = 'posted' | 'rejected' | 'accepted';

/**
 * Asks Xledger how its asynchronous processing of the voucher ended: posted (its payable is in
 * apTransactions), an import error on one of its lines, or not yet. Both in one request; nothing
 * here relies on a processed staging line staying readable.
 */
export function createCheckInvoiceOutcome(deps: ActivityDeps) {
  return (ref: InvoiceRef) => whileHeartbeating(() => checkInvoiceOutcome(ref));

  async function checkInvoiceOutcome(
    ref: InvoiceRef,
  ): Promise<{ outcome: InvoiceOutcome; reasons: string[] }> {
    const stored = await getOutboxInvoice(deps.db, ref.tenantId, ref.invoiceId);
    if (!stored) throw new Error(`Invoice ${ref.invoiceId} of tenant ${ref.tenantId} is not in the outbox`);
    if (stored.state === 'posted' || stored.state === 'rejected') {
      await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId); // if an earlier attempt died before it
      return { outcome: stored.state, reasons: stored.reasons };
    }
    const { client } = await tenantXledger(deps, ref.tenantId);
    stepAsideWhenCrowded(client, ref);
    try {
      const { posted, errors } = await checkImportOutcome(
        client,
        voucherKeys(ref.tenantId, stored.invoice),
        stored.xledger.lineDbIds,
      );
      if (posted) {
        await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, {
          state: 'posted',
          lastError: null,
          postedAt: new Date(),
          xledger: { lineDbIds: stored.xledger.lineDbIds, transactionDbId: posted.transactionDbId },
        });
        await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId);
        return { outcome: 'posted', reasons: [] };
      }
      const blocking = errors.filter(blocksPosting);
      if (blocking.length > 0) {
        const reasons = [...new Set(blocking.map(importErrorReason))];
        await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'rejected', reasons });
        await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId);
        return { outcome: 'rejected', reasons };
      }
      return { outcome: 'accepted', reasons: [] };
    } catch (error) {
      throw await invoiceFailure(deps, ref, error, 'read');
    }
  }
}
