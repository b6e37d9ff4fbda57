import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SyncRunSummary } from '../domain/figures';
import type { XledgerRequestObserver } from '../xledger/usage';

/**
 * The service's own Prometheus metrics, in one registry that /metrics serves beside the Temporal
 * SDK's (sdk-metrics.ts). Labels are bounded: tenant ids, data types and small fixed sets of
 * outcomes — never a record, invoice or workflow id, and never anything from a token.
 *
 * Counters count what this worker process did since it started; with several workers, sum them
 * (`sum by (tenant) (rate(...))`). The gauges read from MongoDB (store-gauges.ts) are the same in
 * every worker: take `max`/`min` over workers, not the sum.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const PREFIX = 'xledger_sync_';

/** What a run did to stored records, from its figures (recorded once, when the run is recorded). */
export const syncRecords = new Counter({
  name: `${PREFIX}records_total`,
  help: 'Records of finished sync runs by tenant, data type and outcome (inserted, updated, unchanged, deleted, rejected, filtered_out)',
  labelNames: ['tenant', 'data_type', 'outcome'] as const,
  registers: [registry],
});

export const syncRuns = new Counter({
  name: `${PREFIX}runs_total`,
  help: 'Recorded sync runs by tenant, data type and status (completed, skipped, needs_review)',
  labelNames: ['tenant', 'data_type', 'status'] as const,
  registers: [registry],
});

export const syncRunDuration = new Histogram({
  name: `${PREFIX}run_duration_seconds`,
  help: 'Duration of recorded sync runs by data type and status',
  labelNames: ['data_type', 'status'] as const,
  buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400],
  registers: [registry],
});

export const lastRunDuration = new Gauge({
  name: `${PREFIX}last_run_duration_seconds`,
  help: 'Duration of the last sync run this worker recorded, by tenant and data type',
  labelNames: ['tenant', 'data_type'] as const,
  registers: [registry],
});

export const xledgerRequests = new Counter({
  name: `${PREFIX}xledger_requests_total`,
  help: 'Xledger requests by tenant and result: ok, or the error kind (unauthorized, missing_scope, rate_limited, credits_exhausted, query_timeout, transient, invalid_request)',
  labelNames: ['tenant', 'result'] as const,
  registers: [registry],
});

export const xledgerRequestDuration = new Histogram({
  name: `${PREFIX}xledger_request_duration_seconds`,
  help: 'Duration of Xledger requests (sent to answered, without the wait in the request gate)',
  labelNames: ['result'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});

export const xledgerBytes = new Counter({
  name: `${PREFIX}xledger_bytes_total`,
  help: 'Bytes sent to and received from Xledger by tenant and direction (sent, received)',
  labelNames: ['tenant', 'direction'] as const,
  registers: [registry],
});

export const xledgerRateLimitWaits = new Counter({
  name: `${PREFIX}xledger_rate_limit_waits_total`,
  help: 'Requests that Xledger refused for its burst or concurrency limit and that waited to be sent again, by tenant',
  labelNames: ['tenant'] as const,
  registers: [registry],
});

export const xledgerRateLimitWaitSeconds = new Counter({
  name: `${PREFIX}xledger_rate_limit_wait_seconds_total`,
  help: "Seconds spent waiting out Xledger's rate limits, by tenant",
  labelNames: ['tenant'] as const,
  registers: [registry],
});

/**
 * What happened to invoices, by tenant: sent (the voucher went to Xledger), found_existing (a
 * retry found it there already: nothing sent twice), posted, rejected, retried (an attempt failed
 * and will be retried), unsettled (an attempt waited for a create whose answer was lost),
 * duplicated (Xledger holds an invoice twice: alert on any), unresolved (accepted, then neither
 * posted nor rejected by the deadline: alert on any).
 */
export const invoiceOutcomes = new Counter({
  name: `${PREFIX}invoice_outcomes_total`,
  help: 'Invoice outcomes by tenant: sent, found_existing, posted, rejected, retried, unsettled, duplicated, unresolved',
  labelNames: ['tenant', 'outcome'] as const,
  registers: [registry],
});

export type InvoiceOutcomeLabel =
  'sent' | 'found_existing' | 'posted' | 'rejected' | 'retried' | 'unsettled' | 'duplicated' | 'unresolved';

/** Counts one invoice outcome (see invoiceOutcomes). */
export function countInvoiceOutcome(tenantId: string, outcome: InvoiceOutcomeLabel): void {
  invoiceOutcomes.inc({ tenant: tenantId, outcome });
}

const recordOutcomes = [
  ['inserted', 'inserted'],
  ['updated', 'updated'],
  ['unchanged', 'unchanged'],
  ['deleted', 'deleted'],
  ['rejected', 'rejected'],
  ['filteredOut', 'filtered_out'],
] as const;

/** A run's figures, as the run is recorded (activities/record-run.ts, through the interceptor). */
export function observeRun(summary: SyncRunSummary): void {
  const labels = { tenant: summary.tenantId, data_type: summary.dataType };
  for (const [field, outcome] of recordOutcomes) {
    syncRecords.inc({ ...labels, outcome }, summary.totals[field]);
  }
  syncRuns.inc({ ...labels, status: summary.status });
  syncRunDuration.observe({ data_type: summary.dataType, status: summary.status }, summary.durationMs / 1000);
  lastRunDuration.set(labels, summary.durationMs / 1000);
}

/** The observer of one tenant's Xledger client. */
export function xledgerObserver(tenantId: string): XledgerRequestObserver {
  return {
    request({ durationMs, error }) {
      const result = error ?? 'ok';
      xledgerRequests.inc({ tenant: tenantId, result });
      xledgerRequestDuration.observe({ result }, durationMs / 1000);
    },
    bytes(sent, received) {
      if (sent > 0) xledgerBytes.inc({ tenant: tenantId, direction: 'sent' }, sent);
      if (received > 0) xledgerBytes.inc({ tenant: tenantId, direction: 'received' }, received);
    },
    rateLimitWait(ms) {
      xledgerRateLimitWaits.inc({ tenant: tenantId });
      xledgerRateLimitWaitSeconds.inc({ tenant: tenantId }, ms / 1000);
    },
  };
}

/**
 * Sync passes that failed, by tenant, data type and failure type (e.g. XledgerUnauthorized,
 * XledgerMissingScope, XledgerCreditsExhausted: see activities/failures.ts); a retried pass
 * counts each failed attempt.
 */
export const syncFailures = new Counter({
  name: `${PREFIX}sync_failures_total`,
  help: 'Failed sync pass attempts by tenant, data type and failure type',
  labelNames: ['tenant', 'data_type', 'failure'] as const,
  registers: [registry],
});
