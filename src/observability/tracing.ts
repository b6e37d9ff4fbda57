import { createRequire } from 'node:module';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config';
import { logger } from '../logger';

/**
 * OpenTelemetry tracing through @temporalio/interceptors-opentelemetry: a span per workflow run,
 * per activity scheduled and per activity attempt, linked across workers through Temporal's
 * headers, exported over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (`/v1/traces` is appended, as
 * the OpenTelemetry spec says; OTEL_EXPORTER_OTLP_HEADERS is read by the exporter). Log lines
 * written inside a traced activity carry its `trace_id` and `span_id` (logger.ts).
 *
 * Without the variable nothing is set up: no provider, no exporter, and the interceptors' spans
 * are no-ops. The workflow bundle always holds the workflow interceptors (workflowTracingModules)
 * and the worker always gets the span sink, so one bundle serves both cases; the interceptors add
 * no commands to a workflow's history (test/replay replays the recorded ones with them).
 */
export const workflowTracingModules: string[] = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

export interface Tracing {
  enabled: boolean;
  /** Interceptors and the workflow span sink, for Worker.create. */
  workerOptions: Pick<WorkerOptions, 'sinks'> & {
    activityInterceptors: NonNullable<NonNullable<WorkerOptions['interceptors']>['activity']>;
  };
  /** Flushes the spans still buffered. */
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

/** The process's tracing, set up on first use (one provider per process). */
export function tracing(config: Config): Tracing {
  installed ??= setUp(config.observability.otlpEndpoint, config.observability.serviceName);
  return installed;
}

function setUp(endpoint: string | undefined, serviceName: string): Tracing {
  const resource = new Resource({ 'service.name': serviceName });
  let processor: SpanProcessor = new NoopSpanProcessor();
  let provider: NodeTracerProvider | undefined;
  if (endpoint) {
    processor = new BatchSpanProcessor(
      new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
      { scheduledDelayMillis: 1_000 },
    );
    provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
    // The global tracer, W3C propagation and the async context that lets logs see the active span.
    provider.register();
    logger.info({ endpoint: redactUrl(endpoint), serviceName }, 'tracing: exporting spans over OTLP');
  }
  return {
    enabled: provider !== undefined,
    workerOptions: {
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
      activityInterceptors: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    shutdown: async () => {
      await provider
        ?.shutdown()
        .catch((error: unknown) => logger.warn({ err: error }, 'tracing: flush failed'));
    },
  };
}

/** An endpoint as a log may show it: no user or password. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
