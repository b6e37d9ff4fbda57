/**
 * What SEMINE is told about an invoice: `invoice.posted` or `invoice.rejected`, built from the
 * invoice's settlement, so that a retried step that records it again builds the same event; and,
 * when Xledger holds the invoice twice, `invoice.duplicated` with the tenant needing attention.
 */
import { eventIds, type NewEvent } from '../domain/event-catalogue';
import { publishEvent, type EventPublisherDeps } from '../events/publish';
import { raiseAttention } from '../store/tenant-state';
import { forgetDocument } from './invoice-document';
import { getOutboxInvoice } from './outbox';
import { readSettlement, type Settlement } from './settlement';

/** `invoice.posted` or `invoice.rejected` for a settled invoice. */
export function invoiceOutcomeEvent(settlement: Settlement): NewEvent {
  const { tenantId, invoiceId } = settlement;
  if (settlement.state === 'posted') {
    const postedAt = settlement.postedAt ?? settlement.at;
    return {
      id: eventIds.invoicePosted(tenantId, invoiceId),
      tenantId,
      type: 'invoice.posted',
      occurredAt: postedAt,
      data: {
        invoiceId,
        xledger: {
          transactionDbId: settlement.xledger.transactionDbId,
          lineDbIds: settlement.xledger.lineDbIds,
        },
        postedAt: postedAt.toISOString(),
      },
    };
  }
  return {
    id: eventIds.invoiceRejected(tenantId, invoiceId),
    tenantId,
    type: 'invoice.rejected',
    occurredAt: settlement.at,
    data: { invoiceId, reasons: settlement.reasons, rejectedAt: settlement.at.toISOString() },
  };
}

/**
 * Publishes the settled invoice's events and drops its document's bytes (nothing for an invoice
 * not settled). Called right after
 * the settlement, and again by a retried step that finds it settled, so that a process dying
 * between the two writes loses no event.
 */
export async function announceInvoiceOutcome(
  deps: EventPublisherDeps,
  tenantId: string,
  invoiceId: string,
): Promise<void> {
  const settlement = await readSettlement(deps.db, tenantId, invoiceId);
  if (!settlement) return;
  await publishEvent(deps, invoiceOutcomeEvent(settlement));
  if (settlement.duplicate) await announceDuplicate(deps, settlement);
  // A settled invoice's PDF is not needed any more; without this its bytes stayed until a purge.
  const document = (await getOutboxInvoice(deps.db, tenantId, invoiceId))?.invoice.document;
  if (document) await forgetDocument(deps.db, tenantId, invoiceId, document);
}

/**
 * Xledger holds the invoice twice: `invoice.duplicated` with both copies' ids, and the tenant
 * needs attention (one episode, its event once) until an operator has reversed the extra voucher
 * and resumes it. Every step is idempotent: a retry records the same events again, a no-op.
 */
async function announceDuplicate(deps: EventPublisherDeps, settlement: Settlement): Promise<void> {
  const duplicate = settlement.duplicate!;
  const { tenantId, invoiceId } = settlement;
  await publishEvent(deps, {
    id: eventIds.invoiceDuplicated(tenantId, invoiceId),
    tenantId,
    type: 'invoice.duplicated',
    occurredAt: duplicate.foundAt,
    data: {
      invoiceId,
      message: duplicate.message,
      copies: duplicate.copies,
      foundAt: duplicate.foundAt.toISOString(),
    },
  });
  const { attention } = await raiseAttention(deps.db, tenantId, {
    reason: 'invoice_duplicated',
    message: duplicate.message,
    dataType: 'invoices',
    since: duplicate.foundAt.toISOString(),
    run: `invoice:${tenantId}:${invoiceId}`,
  });
  await publishEvent(deps, {
    id: eventIds.tenantNeedsAttention(tenantId, attention.episode),
    tenantId,
    type: 'tenant.needs_attention',
    data: { reason: attention.reason, message: attention.message, dataType: attention.dataType },
    occurredAt: new Date(attention.since),
  });
}
