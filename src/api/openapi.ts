import type { Db } from 'mongodb';
import type { XledgerSyncClient } from '../client';
import { loadConfig } from '../config';
import { buildApiServer } from './server';

/**
 * The OpenAPI document the server serves at /openapi.json, made without any server: it depends
 * only on the routes' schemas, so `npm run generate:http-client` and the tests make it offline.
 * The stand-ins below are never called (no request is served).
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const app = await buildApiServer({
    config: loadConfig({}),
    client: {} as XledgerSyncClient,
    db: {} as Db,
    readiness: { ready: async () => ({}) },
  });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
