import { createInvoiceActivities } from '../invoices/activities';
import type { ActivityDeps } from './deps';
import { createDeliveryActivities } from './deliver-events';
import { createDispatchResync } from './dispatch-resync';
import { createLinkData } from './link-data';
import { createPlanSync } from './plan-sync';
import { createWatchPush } from './push-watch';
import { createRecordRun } from './record-run';
import { createRecordFailedRun } from './run-outcome';
import { createSyncStream } from './sync-stream';
import { createSyncStreams } from './sync-streams';

/** Every activity, built from injected dependencies (the worker and tests wire the same way). */
export function createActivities(deps: ActivityDeps) {
  return {
    planSync: createPlanSync(deps),
    syncStream: createSyncStream(deps),
    syncStreams: createSyncStreams(deps),
    linkData: createLinkData(deps),
    recordRun: createRecordRun(deps),
    recordFailedRun: createRecordFailedRun(deps),
    dispatchResync: createDispatchResync(deps),
    watchPush: createWatchPush(deps),
    ...createInvoiceActivities(deps),
    ...createDeliveryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
