/**
 * The event a recorded run becomes: built from what was stored, so that a retried step that
 * records the event again builds the same one (and the outbox keeps it once).
 */
import type { SyncRunSummary } from '../domain/figures';
import { eventIds, type NewEvent } from '../domain/event-catalogue';

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
