import { ApplicationFailure, proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { InvoiceStateKey } from '../temporal/search-attributes';

export interface PostInvoiceInput {
  tenantId: string;
  invoiceId: string;
}

export interface PostInvoiceResult {
  state: 'posted' | 'rejected';
  reasons: string[];
}

/**
 * Retries back off to one minute at most: the worker's per-token request gate already bounds
 * what reaches Xledger, and an attempt that stepped aside for a busy token (step-aside.ts) counts
 * as an attempt too — a longer cap would leave invoices idle for minutes after a backlog.
 */
const retry = { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' };

/** They heartbeat while they run: after a worker dies they are retried within seconds, not minutes. */
const { validateInvoice, checkInvoiceOutcome } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry,
});

/** Posting is retried until it succeeds or Xledger refuses the request: an invoice is never dropped. */
const { postInvoice } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { ...retry, nonRetryableErrorTypes: ['InvoiceRejected'] },
});

const FIRST_CHECK_DELAY_MS = 2_000;
const LONGEST_CHECK_DELAY_MS = 10 * 60_000;

/**
 * The one workflow of one invoice (its id is derived from the invoice key; see
 * invoices/start-posting.ts): validate against the synced master data, post the voucher
 * exactly once, then wait on durable timers for Xledger's processing: posted or rejected.
 */
export async function postInvoiceWorkflow(input: PostInvoiceInput): Promise<PostInvoiceResult> {
  const validation = await validateInvoice(input);
  if (!validation.ok) return finish('rejected', validation.reasons);

  setState('posting');
  try {
    await postInvoice(input);
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof ApplicationFailure && cause.type === 'InvoiceRejected') {
      return finish('rejected', [cause.message]);
    }
    throw error;
  }
  setState('accepted');

  let delay = FIRST_CHECK_DELAY_MS;
  for (;;) {
    await sleep(delay);
    const { outcome, reasons } = await checkInvoiceOutcome(input);
    if (outcome !== 'accepted') return finish(outcome, reasons);
    delay = Math.min(delay * 2, LONGEST_CHECK_DELAY_MS);
  }
}

function setState(state: string): void {
  upsertSearchAttributes([{ key: InvoiceStateKey, value: state }]);
}

function finish(state: PostInvoiceResult['state'], reasons: string[]): PostInvoiceResult {
  setState(state);
  return { state, reasons };
}
