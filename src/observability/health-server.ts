import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * One small HTTP server on METRICS_PORT for what a process manager and Prometheus ask of a worker:
 *
 *   GET /metrics  Prometheus text: the service's metrics and the Temporal SDK's
 *   GET /healthz  200 while the process is alive and its worker has not failed (liveness)
 *   GET /readyz   200 when Temporal and MongoDB answer and the worker polls; else 503 (readiness)
 *
 * /readyz answers with each check's result as JSON, e.g. {"ready":false,"checks":{"temporal":"ok",
 * "mongodb":"no answer within 3 s","worker":"ok"}}: never an address, a URI or a credential.
 */
export interface HealthChecks {
  /** False once the process should be restarted (its worker failed). */
  live(): boolean;
  /** Each check's result: 'ok', or why not. */
  ready(): Promise<Record<string, string>>;
}

export interface HealthServerOptions {
  port: number;
  /** Default 0.0.0.0: the kubelet and Prometheus reach the pod's address. */
  host?: string;
  registry: Registry;
  /** Brings the registry up to date before a scrape (the SDK's buffered metrics). */
  beforeScrape?: () => void;
  checks: HealthChecks;
}

export interface HealthServer {
  /** The port it listens on (the one asked for, or the OS's pick for 0). */
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((request, response) => {
    void handle(options, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  // A scrape or probe that stalls must not keep the worker from exiting.
  server.keepAliveTimeout = 5_000;
  await listen(server, options.port, options.host ?? '0.0.0.0');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: HealthServerOptions, request: IncomingMessage, response: ServerResponse) {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return send(response, 405, 'text/plain', 'method not allowed\n');
  }
  if (path === '/metrics') {
    options.beforeScrape?.();
    return send(response, 200, options.registry.contentType, await options.registry.metrics());
  }
  if (path === '/healthz') {
    const live = options.checks.live();
    return sendJson(response, live ? 200 : 503, { status: live ? 'ok' : 'failed' });
  }
  if (path === '/readyz') {
    const checks = await options.checks.ready();
    const ready = Object.values(checks).every((result) => result === 'ok');
    return sendJson(response, ready ? 200 : 503, { ready, checks });
  }
  return send(response, 404, 'text/plain', 'not found\n');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json', `${JSON.stringify(body)}\n`);
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
