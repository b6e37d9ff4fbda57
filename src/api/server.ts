import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Db } from 'mongodb';
import type { XledgerSyncClient } from '../client';
import type { Config } from '../config';
import { logger } from '../logger';
import { version } from '../version';
import { installKeyAuth } from './auth';
import { changeRoutes } from './changes';
import { eventRoutes } from './events';
import { installHealth, type ApiReadiness } from './health';
import { invoiceRoutes } from './invoices';
import { HttpProblem, sendProblem } from './problem';
import { resyncRoutes } from './resync';
import { tenantRoutes } from './tenants';
import { installRequestSpans } from './tracing';
import { xledgerRoutes } from './xledger';
import { xledgerPushRoutes, type PushDeps } from '../push/routes';

/**
 * The HTTP API: the client API over HTTP for any backend (README, "HTTP API"). Routes are zod
 * schemas and handlers on the server's one XledgerSyncClient; the same schemas validate requests
 * and make the OpenAPI 3.1 document at /openapi.json. Keys (auth.ts) on every route that names a
 * scope, a rate limit per key, problem details (problem.ts) for every error, health, metrics and
 * a span per request beside the worker's.
 *
 * Another plugin mounts in one line before `app.ready()` (e.g. Xledger's signed webhooks,
 * `app.register(pushRoutes, { prefix: '/xledger/webhooks' })`): a route that names no
 * `config.scope` takes no key and no rate limit, and its errors still become problems.
 */
export interface ApiServerDeps {
  config: Config;
  client: XledgerSyncClient;
  /** Where the API keys are (store/api-keys.ts). */
  db: Db;
  readiness: ApiReadiness;
  /** With push configured (PUSH_PUBLIC_BASE_URL): Xledger's deliveries are received here too. */
  push?: PushDeps;
}

export async function buildApiServer(deps: ApiServerDeps): Promise<FastifyInstance> {
  const base = Fastify({
    loggerInstance: logger.child({ component: 'api' }) as FastifyBaseLogger,
    genReqId: (request) => validRequestId(request.headers['x-request-id']) ?? randomUUID(),
    // A trailing slash is the same route; event ids (evt_…) are longer than fastify's 100.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  const app = base.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => sendProblem(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      new HttpProblem(
        404,
        'not-found',
        'Not found',
        `no route ${request.method} ${request.url.split('?')[0]}`,
      ),
      request,
      reply,
    ),
  );
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Handlers pass the client API what the caller sent (plugin.ts, sentBody).
  app.addHook('preValidation', async (request) => {
    request.sentBody = request.body;
  });

  installRequestSpans(base);
  installKeyAuth(base, deps.db);
  await app.register(fastifyRateLimit, {
    // After the key check: the limit is the key's, and requests without a key are not counted.
    hook: 'preHandler',
    max: deps.config.api.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => request.apiKey?.id ?? 'anonymous',
    allowList: (request) => request.apiKey === undefined,
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(
        context.statusCode,
        'rate-limited',
        'Too many requests',
        `this key may make ${context.max} requests a minute; try again in ${context.after}`,
      ),
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'xledger-sync',
        version,
        description:
          'Keeps SEMINE in sync with the Xledger ERP: tenants, resyncs, the change feed, events and invoices. Every error is an RFC 9457 problem (application/problem+json).',
        license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
      },
      servers: [{ url: '/', description: 'where the document was read (xledger-sync api, API_PORT)' }],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'xs_<keyId>_<secret> (xledger-sync keys create)',
          },
        },
      },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'tenants', description: 'Onboard, change, follow, pause and remove tenants' },
        { name: 'resyncs', description: 'Resync now and follow the runs' },
        { name: 'changes', description: 'The change feed of synced records' },
        { name: 'events', description: 'What SEMINE was told, and its delivery' },
        { name: 'invoices', description: 'Invoices to Xledger, exactly once' },
        { name: 'xledger', description: 'Checks against Xledger before onboarding' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => withoutUnusedSchemas(jsonSchemaTransformObject(input)),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  installHealth(base, deps.readiness);

  // Xledger's signed deliveries (src/push/routes.ts): no key, their own body parser and answers.
  if (deps.push) await base.register(xledgerPushRoutes, deps.push);

  const routes = { client: deps.client };
  for (const group of [tenantRoutes, resyncRoutes, changeRoutes, eventRoutes, invoiceRoutes, xledgerRoutes]) {
    await app.register(group, routes);
  }
  return app;
}

/**
 * The document without schemas nothing refers to: the transform registers an input and an output
 * form of each named schema, and the problem schema is only ever an answer.
 */
function withoutUnusedSchemas<T>(document: T): T {
  const schemas = (document as { components?: { schemas?: Record<string, unknown> } }).components?.schemas;
  if (!schemas) return document;
  for (const name of Object.keys(schemas)) {
    const { [name]: _self, ...others } = schemas;
    const rest = JSON.stringify({
      ...document,
      components: { ...(document as object as { components: object }).components, schemas: others },
    });
    if (!rest.includes(`"#/components/schemas/${name}"`)) delete schemas[name];
  }
  return document;
}

/** A caller's X-Request-Id is kept when it is short and plain (it goes into every log line). */
function validRequestId(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && /^[\w.:-]{1,100}$/.test(value) ? value : undefined;
}
