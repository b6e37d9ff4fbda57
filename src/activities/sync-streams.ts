import type { StreamFigures } from '../domain/figures';
import { RequestBatch } from '../xledger/request-batch';
import type { ActivityDeps } from './deps';
import { recheckSchemaIfDue } from './schema-recheck';
import { createSyncStream, type SyncStreamInput } from './sync-stream';

export interface SyncStreamsInput {
  tenantId: string;
  dataType: string;
  streams: Array<Omit<SyncStreamInput, 'tenantId' | 'dataType'>>;
}

/**
 * The activities that run sync passes: a run's one syncStreams, and syncStream of runs recorded
 * before the one-request patch (their histories still replay). Heartbeats and failures of both
 * are read by name (tenant resync --wait, the worker's metrics).
 */
export const SYNC_PASS_ACTIVITIES: readonly string[] = ['syncStreams', 'syncStream'];

/**
 * The passes of a data type's streams (sync-stream.ts), side by side in one activity, with their
 * first requests sent to Xledger as one (xledger/request-batch.ts): a run of a data type costs
 * one request when nothing changed, however many streams it reads (Xledger charges per request;
 * dimensions, VAT codes and projects read two). Each pass keeps its own ledger entry, fencing
 * and figures; a retried attempt finds the passes that completed and returns their results
 * without a request. Every pass runs to its end before a failure of one is thrown.
 */
export function createSyncStreams(deps: ActivityDeps) {
  return async function syncStreams(input: SyncStreamsInput): Promise<StreamFigures[]> {
    // Before the passes read the tenant's optional fields: a full pass checks them again.
    await recheckSchemaIfDue(
      deps,
      input.tenantId,
      input.streams.map((step) => step.mode),
    );
    const batch = new RequestBatch(input.streams.length);
    const outcomes = await Promise.allSettled(
      input.streams.map(async (step) => {
        const slot = batch.slot();
        const syncStream = createSyncStream({
          ...deps,
          xledgerFor: (endpoint, token, tenantId, options) =>
            deps.xledgerFor(endpoint, token, tenantId, options).batchedWith(slot),
        });
        try {
          return await syncStream({ tenantId: input.tenantId, dataType: input.dataType, ...step });
        } finally {
          slot.leave();
        }
      }),
    );
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<StreamFigures>).value);
  };
}
