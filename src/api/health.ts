import type { FastifyInstance } from 'fastify';
import { registry } from '../observability/metrics';
import { apiRequestDuration, apiRequests } from '../observability/api-metrics';

/**
 * What a process manager and Prometheus ask of the API, as of the worker (README, "Metrics and
 * health"): /healthz (alive), /readyz (Temporal and MongoDB answer, each check named, never an
 * address), /metrics (the service's registry). No key: they say nothing about tenants.
 */
export interface ApiReadiness {
  ready(): Promise<Record<string, string>>;
}

export function installHealth(app: FastifyInstance, readiness: ApiReadiness): void {
  const hide = { hide: true };
  app.get('/healthz', { schema: hide }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: hide }, async (_request, reply) => {
    const checks = await readiness.ready();
    const ready = Object.values(checks).every((result) => result === 'ok');
    return reply.status(ready ? 200 : 503).send({ ready, checks });
  });
  app.get('/metrics', { schema: hide }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  app.addHook('onResponse', async (request, reply) => {
    // Unmatched paths share one label: a scan of random URLs cannot grow the series.
    const route = request.routeOptions.url ?? '(unmatched)';
    apiRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    apiRequestDuration.observe({ route }, reply.elapsedTime / 1000);
  });
}
