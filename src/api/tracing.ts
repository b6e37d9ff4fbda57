import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';

/**
 * One span per request, named by the route's template, on the process's tracer provider
 * (observability/tracing.ts sets it up when OTEL_EXPORTER_OTLP_ENDPOINT is set; without it the
 * spans are no-ops). Attributes carry the request id and key id, never the key.
 */
declare module 'fastify' {
  interface FastifyRequest {
    span?: Span;
  }
}

const tracer = trace.getTracer('xledger-sync-api');

export function installRequestSpans(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    request.span = tracer.startSpan(`${request.method} ${request.routeOptions.url ?? '(unmatched)'}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'xledger_sync.request_id': request.id },
    });
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = request.span;
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (request.apiKey) span.setAttribute('xledger_sync.key_id', request.apiKey.id);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
