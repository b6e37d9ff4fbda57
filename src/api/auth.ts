import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from 'mongodb';
import { verifyApiKey, type ApiKey, type ApiKeyScope } from '../store/api-keys';
import { HttpProblem } from './problem';

/**
 * API keys (store/api-keys.ts) on every request but the public paths: `Authorization: Bearer
 * xs_<keyId>_<secret>`. A route says which scope it needs (its `config.scope`) and the check runs
 * after validation, on the route's `tenantId`: read < write < admin, and a key limited to some
 * tenants touches only those (403 otherwise). Every log line of the request names the key id,
 * never the key.
 */

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKey;
  }
  interface FastifyContextConfig {
    /** The scope the route needs; routes without one are public (health, metrics, the document). */
    scope?: ApiKeyScope;
  }
}

const RANK: Record<ApiKeyScope, number> = { read: 0, write: 1, admin: 2 };

/** Whether the key's scope covers `scope`. */
export const covers = (key: ApiKey, scope: ApiKeyScope) => RANK[key.scope] >= RANK[scope];

/** Whether the key may touch the tenant at all. */
export const reaches = (key: ApiKey, tenantId: string) =>
  key.tenants === null || key.tenants.includes(tenantId);

/** Refuses (403) a request whose key lacks the scope or the tenant. */
export function authorize(request: FastifyRequest, scope: ApiKeyScope, tenantId?: string): ApiKey {
  const key = request.apiKey;
  if (!key) throw new HttpProblem(401, 'unauthorized', 'Unauthorized', 'an API key is required');
  if (!covers(key, scope)) {
    throw new HttpProblem(
      403,
      'forbidden',
      'Forbidden',
      `this needs a key with scope ${scope}; key ${key.id} has ${key.scope}`,
    );
  }
  if (tenantId !== undefined && !reaches(key, tenantId)) {
    throw new HttpProblem(403, 'forbidden', 'Forbidden', `key ${key.id} may not touch tenant ${tenantId}`);
  }
  return key;
}

const BEARER = /^Bearer\s+(\S+)$/i;

export function installKeyAuth(app: FastifyInstance, db: Db): void {
  app.addHook('onRequest', async (request, reply) => {
    // Only routes that name a scope take a key: health, metrics, the document and plugins with
    // their own checks (Xledger's signed webhooks) are left alone.
    if (request.routeOptions.config.scope === undefined) return;
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const key = presented ? await verifyApiKey(db, presented) : undefined;
    if (!key) {
      throw new HttpProblem(
        401,
        'unauthorized',
        'Unauthorized',
        presented
          ? 'the API key is unknown or revoked'
          : 'an API key is required: Authorization: Bearer xs_…',
        { 'www-authenticate': 'Bearer' },
      );
    }
    request.apiKey = key;
    // fastify's own lines ("request completed") go through reply.log: both carry the key id.
    request.log = request.log.child({ keyId: key.id });
    reply.log = request.log;
  });
  app.addHook('preHandler', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const tenantId = (request.params as { tenantId?: string } | undefined)?.tenantId;
    authorize(request, scope, tenantId);
  });
}
