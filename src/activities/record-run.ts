import { saveRun } from '../store/runs';
import { completeSyncRequest } from '../store/sync-requests';
import type { SyncRunSummary } from '../sync/figures';
import type { ActivityDeps } from './deps';

export function createRecordRun(deps: ActivityDeps) {
  return async function recordRun(summary: SyncRunSummary): Promise<void> {
    await saveRun(deps.db, summary);
    await completeSyncRequest(deps.db, summary.tenantId, summary.dataType, summary.runId);
  };
}
