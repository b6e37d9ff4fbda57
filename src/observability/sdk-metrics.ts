import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BufferedMetricUpdate, MetricsBuffer } from '@temporalio/worker';

/**
 * The Temporal SDK's own metrics (pollers, task slots, schedule-to-start and execution latencies,
 * failures, sticky cache, ...) on the service's /metrics: the SDK's Runtime buffers their updates
 * (telemetryOptions.metrics.buffer, runtime.ts) and this forwarder applies them to prom-client
 * metrics of the same names (`temporal_…`; durations in seconds). One port and one scrape serve
 * both, and no second HTTP server of the SDK's listens inside the container.
 *
 * Only the SDK's known attributes become labels (the rest are dropped), so cardinality stays
 * that of task queues, workflow and activity types.
 */
const LABELS = [
  'namespace',
  'task_queue',
  'workflow_type',
  'activity_type',
  'worker_type',
  'poller_type',
  'operation',
  'status_code',
  'eager',
  'failure_reason',
] as const;
const ALLOWED = new Set<string>(LABELS);

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const COUNT_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

type Forwarded = Counter | Gauge | Histogram;

export class SdkMetricsForwarder {
  private readonly metrics = new Map<string, Forwarded>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly buffer: MetricsBuffer,
    private readonly registry: Registry,
    drainEveryMs = 1_000,
  ) {
    // Drained often, so the SDK's buffer never fills (it drops updates when full).
    this.timer = setInterval(() => this.drain(), drainEveryMs).unref();
  }

  /** Applies every buffered update; also called right before each scrape. */
  drain(): void {
    for (const update of this.buffer.retrieveUpdates()) this.apply(update);
  }

  stop(): void {
    clearInterval(this.timer);
    this.drain();
  }

  private apply({ metric, value, attributes }: BufferedMetricUpdate): void {
    const labels: Record<string, string> = {};
    for (const [key, raw] of Object.entries(attributes)) {
      if (ALLOWED.has(key)) labels[key] = String(raw);
    }
    const target = this.metricFor(metric.name, metric.kind, metric.unit, metric.description);
    if (target instanceof Counter) {
      if (value > 0) target.inc(labels, value);
    } else if (target instanceof Histogram) {
      target.observe(labels, value);
    } else if (metric.kind === 'up-down-counter') {
      target.inc(labels, value);
    } else {
      target.set(labels, value);
    }
  }

  private metricFor(name: string, kind: string, unit: string | undefined, description?: string): Forwarded {
    let metric = this.metrics.get(name);
    if (metric) return metric;
    const options = {
      name,
      help: description || `Temporal SDK metric ${name}`,
      labelNames: LABELS,
      registers: [this.registry],
    };
    // A name another forwarder (an earlier worker in this process) registered is reused.
    const existing = this.registry.getSingleMetric(name) as Forwarded | undefined;
    if (existing) metric = existing;
    else if (kind === 'counter') metric = new Counter(options);
    else if (kind === 'histogram') {
      metric = new Histogram({ ...options, buckets: unit === 's' ? DURATION_BUCKETS : COUNT_BUCKETS });
    } else metric = new Gauge(options);
    this.metrics.set(name, metric);
    return metric;
  }
}
