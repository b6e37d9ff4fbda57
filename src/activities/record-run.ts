import { syncCompletedEvent } from '../events/outcomes';
import { publishEvent } from '../events/publish';
import { sealChanges } from '../store/changes';
import { saveRun } from '../store/runs';
import { completeSyncRequest } from '../store/sync-requests';
import type { SyncRunSummary } from '../domain/figures';
import type { ActivityDeps } from './deps';
import { noteCompletedRun } from './run-outcome';

/**
 * Stores the run's figures and, in the same step, makes its changes readable in the change feed,
 * records `sync.completed` and updates the data type's state (every part idempotent: a retried
 * step changes nothing twice).
 */
export function createRecordRun(deps: ActivityDeps) {
  return async function recordRun(summary: SyncRunSummary): Promise<void> {
    await saveRun(deps.db, summary);
    if (summary.status !== 'skipped') {
      const through = await sealChanges(deps.db, summary.tenantId, summary.dataType);
      await publishEvent(deps, syncCompletedEvent(summary, through));
    }
    // The data type's state, and the tenant's first sync complete (tenant.ready) after it.
    await noteCompletedRun(deps, summary);
    await completeSyncRequest(deps.db, summary.tenantId, summary.dataType, summary.runId);
  };
}
