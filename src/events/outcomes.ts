/**
 * The events that outcomes recorded elsewhere become: built from what was stored, so that a
 * retried step that records the event again builds the same one (and the outbox keeps it once).
 */
import type { OutboxInvoice } from '../store/invoice-outbox';
import type { SyncRunSummary } from '../sync/figures';
import { eventIds, type NewEvent } from './catalogue';

/** A completed run (or one that held back deletions); `through`: the change feed's sealed position. */
export function syncCompletedEvent(summary: SyncRunSummary, through: number): NewEvent {
  const { totals } = summary;
  return {
    id: eventIds.syncCompleted(summary.workflowId, summary.runId),
    tenantId: summary.tenantId,
    type: 'sync.completed',
    occurredAt: new Date(summary.finishedAt),
    data: {
      dataType: summary.dataType,
      mode:
        summary.streams.length > 0 && summary.streams.every((s) => s.mode === 'full')
          ? 'full'
          : 'incremental',
      status: summary.status === 'needs_review' ? 'needs_review' : 'completed',
      counts: {
        inserted: totals.inserted,
        updated: totals.updated,
        deleted: totals.deleted,
        rejected: totals.rejected,
      },
      workflowId: summary.workflowId,
      runId: summary.runId,
      startedAt: summary.startedAt,
      finishedAt: summary.finishedAt,
      changes: { through },
    },
  };
}

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
