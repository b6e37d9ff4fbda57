import type { ActivityDeps } from '../activities/deps';
import { eventIds } from '../domain/event-catalogue';
import { publishEvent } from '../events/publish';
import { countInvoiceOutcome } from '../observability/metrics';
import { getOutboxInvoice, updateOutbox, type OutboxInvoice } from './outbox';

/**
 * Xledger accepted the invoice's voucher long ago (INVOICE_UNRESOLVED_AFTER_MS) and shows neither
 * its posted payable nor an import error that stops it — e.g. a rejection whose error does not
 * point back to our lines (assumption A in xledger/gl-import.ts). The service stops waiting
 * without losing the invoice: it stays in the outbox as `needs_attention`, with what was seen,
 * its Xledger line ids and its send records, and SEMINE is told (`invoice.needs_attention`).
 * Returns the invoice's reasons.
 */
export async function markUnresolved(
  deps: ActivityDeps,
  stored: OutboxInvoice,
  acceptedAt: Date,
  nonBlockingErrors: number,
  now = new Date(),
): Promise<string[]> {
  const { tenantId, invoiceId } = stored;
  const hours = Math.round((now.getTime() - acceptedAt.getTime()) / 360_000) / 10;
  const lines = stored.xledger.lineDbIds.filter((dbId) => dbId > 0);
  const message =
    `Xledger accepted invoice ${invoiceId} at ${acceptedAt.toISOString()} (${hours} h ago) but shows ` +
    `neither its posted payable nor an import error that stops it` +
    (nonBlockingErrors > 0 ? ` (${nonBlockingErrors} warnings)` : '') +
    `; its staging lines: ${lines.length > 0 ? lines.join(', ') : 'unknown'}. Check the GL import in Xledger; the invoice is not posted again by itself`;
  await updateOutbox(deps.db, tenantId, invoiceId, {
    state: 'needs_attention',
    reasons: [message],
    lastError: message,
    attention: { reason: 'unresolved', message, since: now },
  });
  // The view may have been settled meanwhile (a posted check racing this one): tell only then.
  const after = await getOutboxInvoice(deps.db, tenantId, invoiceId);
  if (after?.attention?.reason !== 'unresolved') return after?.reasons ?? [message];
  countInvoiceOutcome(tenantId, 'unresolved');
  deps.logger.error({ tenantId, invoiceId, acceptedAt }, message);
  await publishEvent(deps, {
    id: eventIds.invoiceNeedsAttention(tenantId, invoiceId),
    tenantId,
    type: 'invoice.needs_attention',
    occurredAt: now,
    data: {
      invoiceId,
      reason: 'unresolved',
      message,
      xledger: { transactionDbId: stored.xledger.transactionDbId, lineDbIds: stored.xledger.lineDbIds },
      since: now.toISOString(),
    },
  });
  return [message];
}
