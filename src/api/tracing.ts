import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
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
  app.addHook('onRequest', (request, _reply, done) => {
    const span = tracer.startSpan(`${request.method} ${request.routeOptions.url ?? '(unmatched)'}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'xledger_sync.request_id': request.id },
    });
    request.span = span;
    // The rest of the request runs inside the span: its log lines carry trace_id and span_id
    // (logger.ts), and calls it makes are its children.
    context.with(trace.setSpan(context.active(), span), done);
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
