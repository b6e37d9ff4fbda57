import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { FailureType } from '../../domain/failure-types';
import type { XledgerClient } from '../../xledger/client';
import type { InvoiceRef } from '../invoice';

const SHORTEST_STEP_ASIDE_MS = 1_000;
const LONGEST_STEP_ASIDE_MS = 60_000;

/**
 * A worker runs a fixed number of activities at once. When a token's requests already crowd its
 * gate in this worker (one tenant with a large backlog), an invoice activity of that token gives
 * its slot back and is retried about when the queue will have drained, instead of holding the
 * slot while other tenants' invoices wait behind it in the task queue. The tenant with the
 * backlog still spends its whole Xledger budget; the others are not held up by it.
 */
export function stepAsideWhenCrowded(client: XledgerClient, ref: InvoiceRef): void {
  const { crowded, backlogMs } = client.queue();
  if (!crowded) return;
  // Spread the returns, so the stepped-aside activities do not all come back at one moment.
  const delay = backlogMs * (0.75 + Math.random() * 0.5);
  throw ApplicationFailure.create({
    type: FailureType.xledgerTokenBusy,
    message: `Invoice ${ref.invoiceId} of tenant ${ref.tenantId}: its Xledger token's requests are queued for about ${Math.ceil(backlogMs / 1000)} s in this worker; the posting steps aside until then`,
    // Benign: logged at debug level and not counted as a failure in the worker's metrics.
    category: ApplicationFailureCategory.BENIGN,
    nextRetryDelay: Math.round(Math.min(Math.max(delay, SHORTEST_STEP_ASIDE_MS), LONGEST_STEP_ASIDE_MS)),
  });
}
