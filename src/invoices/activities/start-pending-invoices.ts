import type { ActivityDeps } from '../../activities/deps';
import { pendingInvoiceIds } from '../outbox';
import { startInvoicePosting } from '../../temporal/starters';
import { whileHeartbeating } from './keep-alive';

/**
 * The scheduled sweep: starts a posting workflow for every invoice still pending in the
 * outbox (e.g. a submit that stored the invoice but could not reach Temporal). It reads
 * MongoDB only: with nothing pending it makes no Xledger request.
 */
export function createStartPendingInvoices(deps: ActivityDeps) {
  return async function startPendingInvoices(input: {
    tenantId: string;
  }): Promise<{ pending: number; started: number }> {
    return whileHeartbeating(async (progress) => {
      progress.at('reading-pending');
      const ids = await pendingInvoiceIds(deps.db, input.tenantId, 1_000);
      let started = 0;
      for (const [index, invoiceId] of ids.entries()) {
        // Each start is a step: one that hangs on Temporal shows as stalled, not as alive.
        progress.at(`starting ${index + 1} of ${ids.length}`);
        if (await startInvoicePosting(deps.temporal, deps.taskQueue, input.tenantId, invoiceId)) started += 1;
      }
      return { pending: ids.length, started };
    });
  };
}
