import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { xledgerPushRoutes, type PushDeps } from './routes';

/**
 * A fastify server with the push receiver alone: for the tests and the benchmark until the HTTP
 * API server (src/api/server.ts) mounts xledgerPushRoutes beside its own routes.
 */
export interface RunningPushServer {
  /** Base URL, e.g. `http://127.0.0.1:40123` (PUSH_PUBLIC_BASE_URL in tests). */
  url: string;
  close(): Promise<void>;
}

export async function startPushServer(
  deps: PushDeps,
  options: { host?: string; port?: number } = {},
): Promise<RunningPushServer> {
  const app = Fastify({ logger: false });
  await app.register(xledgerPushRoutes, deps);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const { address, port } = app.server.address() as AddressInfo;
  return { url: `http://${address}:${port}`, close: () => app.close() };
}
