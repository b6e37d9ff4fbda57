import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from 'mongodb';
import { dataTypes } from '../datatypes/registry';
import { dataTypesOfSubscription } from '../domain/push';
import { tenantIdSchema } from '../domain/tenant';
import type { Logger } from '../logger';
import { claimDelivery, releaseDelivery } from '../store/push-subscriptions';
import { UnknownTenantError, type TenantStore } from '../store/tenants';
import { triggerScheduledSync } from '../temporal/starters';
import { SIGNATURE_HEADER, webhookSignatureMatches } from '../xledger/webhook-signature';

/**
 * The receiver of Xledger's webhook deliveries (README, "Push from Xledger"): a fastify plugin
 * for the HTTP API server, `app.register(xledgerPushRoutes, deps)`. Its own scope parses every
 * body as raw bytes, because the signature is over the body exactly as sent.
 *
 * A delivery is acted on only when, in this order: the tenant exists and has push (else 404);
 * the signature is the tenant's token's over the Date's seconds and the body (else 401); the
 * Date is within the window of now (else 401: a stale or future delivery cannot be told from a
 * replayed one); its digest was never recorded (else 409: a replay). Then the data types its
 * subscription covers are synced — through their schedules, coalesced with any run under way —
 * and it is answered 202. The answers say nothing else; the reason is logged, never the token.
 */
export interface PushDeps {
  db: Db;
  /** The store's tenants: settings, and the token decrypted by its cipher. */
  tenants: TenantStore;
  temporal: Client;
  /** How far a delivery's Date may be from now, either way (config.push.dateWindowMs). */
  dateWindowMs: number;
  logger: Logger;
  /** The clock (tests move it); default Date.now. */
  now?: () => number;
}

export const PUSH_ROUTE = '/xledger/webhooks/:tenantId';
/** Xledger's deliveries are one change's subscription selection: far below this. */
const BODY_LIMIT = 1024 * 1024;

export async function xledgerPushRoutes(app: FastifyInstance, deps: PushDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'xledger-push' });
  // Anything unexpected (MongoDB, Temporal, the token's decryption) is a bare 500, logged here:
  // fastify's default answer would carry the error's message.
  app.setErrorHandler((error, request, reply) => {
    log.error({ err: error, url: request.url }, 'delivery failed');
    return answer(reply, 500);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  app.post<{ Params: { tenantId: string } }>(PUSH_ROUTE, async (request, reply) => {
    const tenantId = request.params.tenantId;
    const refuse = (status: number, reason: string) => {
      log.warn(
        { tenantId: tenantIdSchema.safeParse(tenantId).success ? tenantId : '?', reason },
        'delivery refused',
      );
      return answer(reply, status);
    };
    if (!tenantIdSchema.safeParse(tenantId).success) return refuse(404, 'unknown tenant');
    const tenant = await deps.tenants.get(tenantId).catch((error: unknown) => {
      if (error instanceof UnknownTenantError) return null;
      throw error;
    });
    if (!tenant || !tenant.push) return refuse(404, tenant ? 'push is off' : 'unknown tenant');

    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const signature = header(request, SIGNATURE_HEADER);
    const dateMs = Date.parse(header(request, 'date') ?? '');
    if (!signature || Number.isNaN(dateMs)) return refuse(401, 'no signature or no Date');
    const dateSeconds = Math.floor(dateMs / 1000);
    const token = await deps.tenants.token(tenantId);
    if (!webhookSignatureMatches(token, signature, dateSeconds, body)) return refuse(401, 'bad signature');
    if (Math.abs(now() - dateMs) > deps.dateWindowMs) return refuse(401, 'Date outside the window');
    if (!(await claimDelivery(deps.db, tenantId, dateSeconds, body, new Date(now())))) {
      return refuse(409, 'replayed delivery');
    }

    const fields = subscriptionFieldsOf(body);
    const enabled = dataTypes.filter((type) => type.enabledFor(tenant.options)).map((type) => type.name);
    const wanted = [...new Set(fields.flatMap((field) => dataTypesOfSubscription(field, enabled)))];
    let outcomes: Array<[string, string]>;
    try {
      outcomes = await Promise.all(
        wanted.map(async (dataType): Promise<[string, string]> => [
          dataType,
          await triggerScheduledSync(deps.temporal, tenantId, dataType),
        ]),
      );
    } catch (error) {
      // Not acted on: Xledger's retry of these very bytes must not be taken for a replay.
      await releaseDelivery(deps.db, tenantId, dateSeconds, body);
      throw error;
    }
    log.info({ tenantId, fields, syncs: Object.fromEntries(outcomes) }, 'delivery accepted');
    return answer(reply, 202);
  });
}

/** Status only: nothing about why, nothing about the tenant. */
function answer(reply: FastifyReply, status: number): FastifyReply {
  return reply.code(status).send();
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The subscription fields a delivery reports: the keys of its `data`, the field names we
 * subscribe under (xledger/webhooks.ts sends no alias). A body we cannot read reports none: it
 * was signed by Xledger, so it is acknowledged, and the schedules still poll.
 */
function subscriptionFieldsOf(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { data?: unknown };
    return parsed.data && typeof parsed.data === 'object' ? Object.keys(parsed.data) : [];
  } catch {
    return [];
  }
}
