import { announceInvoiceOutcome } from '../outcome-event';
import { tenantXledger, type ActivityDeps } from '../../activities/deps';
import { blocksPosting, checkImportOutcome, importErrorReason } from '../../xledger/gl-import';
import { type InvoiceRef, voucherKeys } from '../invoice';
import { getOutboxInvoice } from '../outbox';
import { invoiceSettings } from '../posting-settings';
import { markUnresolved } from '../unresolved';
import { whileHeartbeating } from './keep-alive';
import { invoiceFailure, settlePosted, settleRejected } from './posting-outcomes';
import { stepAsideWhenCrowded } from './step-aside';

export type InvoiceOutcome = 'posted' | 'rejected' | 'accepted' | 'needs_attention';

/**
 * Asks Xledger how its asynchronous processing of the voucher ended: posted (its payable is in
 * apTransactions), an import error on one of its lines, or not yet. Both in one request; nothing
 * here relies on a processed staging line staying readable. Posted: Xledger is asked once more
 * for every copy (settlePosted). Neither, long after Xledger accepted it (the deadline,
 * INVOICE_UNRESOLVED_AFTER_MS): the invoice needs attention and the workflow stops waiting.
 */
export function createCheckInvoiceOutcome(deps: ActivityDeps) {
  return (ref: InvoiceRef) =>
    whileHeartbeating((progress) => {
      progress.at('checking-outcome');
      return checkInvoiceOutcome(ref);
    });

  async function checkInvoiceOutcome(
    ref: InvoiceRef,
  ): Promise<{ outcome: InvoiceOutcome; reasons: string[] }> {
    const stored = await getOutboxInvoice(deps.db, ref.tenantId, ref.invoiceId);
    if (!stored) throw new Error(`Invoice ${ref.invoiceId} of tenant ${ref.tenantId} is not in the outbox`);
    if (stored.state === 'posted' || stored.state === 'rejected' || stored.state === 'needs_attention') {
      await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId); // if an earlier attempt died before it
      return { outcome: stored.state, reasons: stored.reasons };
    }
    const { client } = await tenantXledger(deps, ref.tenantId);
    stepAsideWhenCrowded(client, ref);
    const keys = voucherKeys(ref.tenantId, stored.invoice);
    try {
      const { posted, errors } = await checkImportOutcome(client, keys, stored.xledger.lineDbIds);
      if (posted) {
        const settlement = await settlePosted(deps, client, ref, keys, posted, stored.xledger.lineDbIds);
        return settlement.duplicate
          ? { outcome: 'needs_attention', reasons: [settlement.duplicate.message] }
          : { outcome: settlement.state, reasons: settlement.reasons };
      }
      const blocking = errors.filter(blocksPosting);
      if (blocking.length > 0) {
        const reasons = [...new Set(blocking.map(importErrorReason))];
        const settlement = await settleRejected(deps, ref, reasons, stored.xledger);
        return { outcome: settlement.state, reasons: settlement.reasons };
      }
      const acceptedAt = stored.acceptedAt ?? stored.submittedAt;
      if (Date.now() - acceptedAt.getTime() > invoiceSettings(deps).unresolvedAfterMs) {
        const reasons = await markUnresolved(deps, stored, acceptedAt, errors.length);
        return { outcome: 'needs_attention', reasons };
      }
      return { outcome: 'accepted', reasons: [] };
    } catch (error) {
      throw await invoiceFailure(deps, ref, error, 'read');
    }
  }
}
