import { PUSH_WATCH_JOB } from '../domain/data-types';
import type { TenantSettings } from '../domain/tenant';
import { deleteTenantPush, readTenantPush, type TenantPush } from '../store/push-subscriptions';
import type { PushedTypes } from '../temporal/schedules';
import { triggerScheduledSync } from '../temporal/starters';
import { XledgerClient } from '../xledger/client';
import { RequestGate } from '../xledger/request-gate';
import { removeWebhook } from '../xledger/webhooks';
import type { ClientContext } from './context';

/**
 * Push from Xledger as the client API drives it: registration is the worker's (the tenant's
 * `pushWatch` schedule, run at once at onboarding: activities/push-watch.ts); removing the
 * webhooks is the client's, because once the tenant is removed no one holds its token.
 */

/** The stretch the tenant's schedules keep when they are upserted again (none without push). */
export async function pushedTypesFor(
  ctx: ClientContext,
  tenant: TenantSettings,
): Promise<PushedTypes | undefined> {
  if (!tenant.push) return undefined;
  const push = await readTenantPush(ctx.store.db, tenant.tenantId);
  return { types: push?.pushedTypes ?? [], factor: ctx.config.push.intervalFactor };
}

/** Registers (or checks) the tenant's webhooks now rather than at the watch's next slot. */
export async function watchPushNow(ctx: ClientContext, tenantId: string): Promise<void> {
  await triggerScheduledSync(ctx.temporal, tenantId, PUSH_WATCH_JOB);
}

/**
 * Removes every webhook registered for the tenant from Xledger, then the record of them. A
 * webhook Xledger no longer has counts as removed; one it refuses to remove is reported in the
 * error (the record stays, so a second removal tries again).
 */
export async function unregisterPush(
  ctx: ClientContext,
  tenant: TenantSettings,
  token: string,
): Promise<TenantPush | null> {
  const push = await readTenantPush(ctx.store.db, tenant.tenantId);
  if (!push) return null;
  const client = new XledgerClient({
    endpoint: tenant.xledger.endpoint,
    token,
    endpointPolicy: ctx.config.xledger.endpointPolicy,
    requestTimeoutMs: ctx.config.xledger.requestTimeoutMs,
    // A few requests, one at a time, inside Xledger's burst limit beside a worker on the token.
    gate: new RequestGate({ maxRequestsPer5s: 10, maxConcurrentRequests: 1 }),
    maxRateLimitRetries: 1,
  });
  for (const subscription of push.subscriptions) {
    if (subscription.webhookDbId != null) await removeWebhook(client, subscription.webhookDbId);
  }
  await deleteTenantPush(ctx.store.db, tenant.tenantId);
  return push;
}
