import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { connectWithConfig } from '../client/connect-with-config';
import { loadConfig, type Config } from '../config';
import { logger } from '../logger';
import { tracing } from '../observability/tracing';
import { connectStore, type Store } from '../store/db';
import { buildApiServer } from './server';
import { Client, type Connection } from '@temporalio/client';
import type { PushDeps } from '../push/routes';
import { TenantStore } from '../store/tenants';
import { cipherFromConfig } from '../store/token-cipher';
import { connectClient } from '../temporal/connection';

/**
 * The HTTP API as a program: `xledger-sync api` and `node dist/api.js`. Configured from the
 * environment like the worker (API_PORT, API_HOST, API_RATE_LIMIT_PER_MINUTE beside Temporal,
 * MongoDB and TOKEN_ENCRYPTION_KEY); SIGTERM or SIGINT stops taking requests, lets those under
 * way finish, then closes the client.
 */
export interface RunningApi {
  app: FastifyInstance;
  /** Where it listens (the port asked for, or the OS's pick for 0). */
  url: string;
  close(): Promise<void>;
}

export async function startApi(config: Config): Promise<RunningApi> {
  logger.level = config.logLevel;
  const traces = tracing(config);
  const client = await connectWithConfig(config);
  let store: Store | undefined;
  let pushTemporal: Connection | undefined;
  try {
    // The keys' own connection: the client API keeps its store to itself.
    store = await connectStore(config.mongo.uri, config.mongo.dbName, {
      timeoutMs: config.mongo.timeoutMs,
      requestTimeoutMs: config.mongo.timeoutMs,
    });
    // Push from Xledger (PUSH_PUBLIC_BASE_URL set): its deliveries come to this server.
    let push: PushDeps | undefined;
    if (config.push.publicBaseUrl) {
      pushTemporal = await connectClient(config.temporal);
      push = {
        db: store.db,
        tenants: new TenantStore(store.db, cipherFromConfig(config), config.xledger.defaultEndpoint),
        temporal: new Client({ connection: pushTemporal, namespace: config.temporal.namespace }),
        dateWindowMs: config.push.dateWindowMs,
        logger,
      };
    }
    const app = await buildApiServer({
      config,
      client,
      db: store.db,
      readiness: { ready: () => client.readiness() },
      ...(push ? { push } : {}),
    });
    const url = await app.listen({ port: config.api.port, host: config.api.host });
    const keys = store;
    return {
      app,
      url,
      async close() {
        await app.close();
        await client.close();
        await keys.close();
        await pushTemporal?.close();
        await traces.shutdown();
      },
    };
  } catch (error) {
    await client.close();
    await store?.close();
    await pushTemporal?.close();
    throw error;
  }
}

/** Runs until SIGTERM or SIGINT. */
export async function main(): Promise<void> {
  const api = await startApi(loadConfig());
  logger.info({ url: api.url }, 'HTTP API listening');
  const stop = (signal: string) => {
    logger.info({ signal }, 'HTTP API stopping');
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'HTTP API did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop).once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    logger.fatal({ err: error }, 'HTTP API failed to start');
    process.exit(1);
  });
}
