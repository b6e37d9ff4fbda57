import { extIdentifier } from '../../invoices/invoice';
import { getOutboxInvoice, updateOutbox } from '../../store/invoice-outbox';
import { findImportOutcome } from '../../xledger/gl-import';
import { tenantXledger, type ActivityDeps } from '../deps';
import { whileHeartbeating } from './keep-alive';
import { invoiceFailure } from './post-invoice';
import { stepAsideWhenCrowded } from './step-aside';
import type { InvoiceRef } from './validate-invoice';

export type InvoiceOutcome = 'posted' | 'rejected' | 'accepted';

/** Asks Xledger how its asynchronous processing of the voucher ended: posted, an import error, or not yet. */
export function createCheckInvoiceOutcome(deps: ActivityDeps) {
  return (ref: InvoiceRef) => whileHeartbeating(() => checkInvoiceOutcome(ref));

  async function checkInvoiceOutcome(
    ref: InvoiceRef,
  ): Promise<{ outcome: InvoiceOutcome; reasons: string[] }> {
    const stored = await getOutboxInvoice(deps.db, ref.tenantId, ref.invoiceId);
    if (!stored) throw new Error(`Invoice ${ref.invoiceId} of tenant ${ref.tenantId} is not in the outbox`);
    if (stored.state === 'posted' || stored.state === 'rejected')
      return { outcome: stored.state, reasons: stored.reasons };
    const { client } = await tenantXledger(deps, ref.tenantId);
    stepAsideWhenCrowded(client, ref);
    try {
      const keys = stored.xledger.lineDbIds.map((_, index) =>
        extIdentifier(ref.tenantId, ref.invoiceId, index),
      );
      const { lines, errors } = await findImportOutcome(client, keys, stored.xledger.lineDbIds);
      const wanted = new Set(stored.xledger.lineDbIds);
      const ours = lines.filter((line) => wanted.has(line.dbId));
      if (ours.length === wanted.size && ours.every((line) => line.transactionDbId !== null)) {
        await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, {
          state: 'posted',
          lastError: null,
          postedAt: new Date(),
          xledger: { lineDbIds: stored.xledger.lineDbIds, transactionDbId: ours[0]?.transactionDbId ?? null },
        });
        return { outcome: 'posted', reasons: [] };
      }
      if (errors.length > 0) {
        const reasons = [...new Set(errors)];
        await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'rejected', reasons });
        return { outcome: 'rejected', reasons };
      }
      return { outcome: 'accepted', reasons: [] };
    } catch (error) {
      throw await invoiceFailure(deps, ref, error);
    }
  }
}
