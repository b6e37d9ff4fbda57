/**
 * What SEMINE is told about an invoice: `invoice.posted` or `invoice.rejected`, built from the
 * stored outbox document, so that a retried step that records it again builds the same event.
 */
import { eventIds, type NewEvent } from '../events/catalogue';
import { publishEvent, type EventPublisherDeps } from '../events/publish';
import { getOutboxInvoice, type OutboxInvoice } from './outbox';

/** `invoice.posted` or `invoice.rejected` for an invoice in that final state; null in any other. */
export function invoiceOutcomeEvent(stored: OutboxInvoice): NewEvent | null {
  if (stored.state === 'posted') {
    const postedAt = stored.postedAt ?? stored.updatedAt;
    return {
      id: eventIds.invoicePosted(stored.tenantId, stored.invoiceId),
      tenantId: stored.tenantId,
      type: 'invoice.posted',
      occurredAt: postedAt,
      data: {
        invoiceId: stored.invoiceId,
        xledger: { transactionDbId: stored.xledger.transactionDbId, lineDbIds: stored.xledger.lineDbIds },
        postedAt: postedAt.toISOString(),
      },
    };
  }
  if (stored.state === 'rejected') {
    return {
      id: eventIds.invoiceRejected(stored.tenantId, stored.invoiceId),
      tenantId: stored.tenantId,
      type: 'invoice.rejected',
      occurredAt: stored.updatedAt,
      data: {
        invoiceId: stored.invoiceId,
        reasons: stored.reasons,
        rejectedAt: stored.updatedAt.toISOString(),
      },
    };
  }
  return null;
}

/**
 * Publishes `invoice.posted` / `invoice.rejected` if the stored invoice is in that final state.
 * Called right after the state is stored, and again by a retried step that finds it stored
 * already, so that a process dying between the two writes loses no event.
 */
export async function announceInvoiceOutcome(
  deps: EventPublisherDeps,
  tenantId: string,
  invoiceId: string,
): Promise<void> {
  const stored = await getOutboxInvoice(deps.db, tenantId, invoiceId);
  const event = stored && invoiceOutcomeEvent(stored);
  if (event) await publishEvent(deps, event);
}
