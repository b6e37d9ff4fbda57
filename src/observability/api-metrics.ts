import { Counter, Histogram } from 'prom-client';
import { registry } from './metrics';

/**
 * The HTTP API's own series, in the worker's registry (metrics.ts). Labels are bounded: the
 * route's template (`/v1/tenants/:tenantId`, never a tenant or invoice id), the method and the
 * status; never a key id, so a key created per caller cannot grow the series.
 */
export const apiRequests = new Counter({
  name: 'xledger_sync_api_requests_total',
  help: 'HTTP API requests by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const apiRequestDuration = new Histogram({
  name: 'xledger_sync_api_request_duration_seconds',
  help: 'HTTP API request durations by route template',
  labelNames: ['route'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30],
  registers: [registry],
});
