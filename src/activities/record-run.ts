import { saveRun } from '../store/runs';
import type { SyncRunSummary } from '../sync/figures';
import type { ActivityDeps } from './deps';

export function createRecordRun(deps: ActivityDeps) {
  return async function recordRun(summary: SyncRunSummary): Promise<void> {
    await saveRun(deps.db, summary);
  };
}
