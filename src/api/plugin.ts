import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { XledgerSyncClient } from '../client';

/**
 * What every route group is: a fastify plugin with zod schemas, handed the server's one client
 * API. Handlers call the client and nothing below it; its typed errors become problems in
 * problem.ts.
 */
export type ApiRoutes = FastifyPluginAsyncZod<{ client: XledgerSyncClient }>;

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The body as parsed from JSON, before the route's schema validated (and transformed) it:
     * handlers hand the client API what the caller sent, and the client validates it again,
     * with the same schema, as it does for every caller.
     */
    sentBody?: unknown;
  }
}
