import { syncCompletedEvent } from '../events/outcomes';
import { publishEvent } from '../events/publish';
import { sealChanges } from '../store/changes';
import { saveRun } from '../store/runs';
import { completeSyncRequest } from '../store/sync-requests';
import type { SyncRunSummary } from '../sync/figures';
import type { ActivityDeps } from './deps';

/**
 * Stores the run's figures and, in the same step, makes its changes readable in the change feed
 * and records `sync.completed` (every part idempotent: a retried step changes nothing twice).
 */
export function createRecordRun(deps: ActivityDeps) {
  return async function recordRun(summary: SyncRunSummary): Promise<void> {
    await saveRun(deps.db, summary);
    if (summary.status !== 'skipped') {
      const through = await sealChanges(deps.db, summary.tenantId, summary.dataType);
      await publishEvent(deps, syncCompletedEvent(summary, through));
    }
    await completeSyncRequest(deps.db, summary.tenantId, summary.dataType, summary.runId);
  };
}
