import { dataTypes } from '../datatypes/registry';
import {
  isHealthyWebhookState,
  pushedDataTypes,
  subscriptionsFor,
  SUBSCRIPTIONS_OF_DATA_TYPE,
} from '../domain/push';
import type { TenantSettings } from '../domain/tenant';
import {
  pruneDeliveries,
  readTenantPush,
  saveTenantPush,
  type PushSubscription,
  type TenantPush,
} from '../store/push-subscriptions';
import type { WatchPushResult } from '../temporal/definitions';
import { TenantSchedules } from '../temporal/schedules';
import { triggerScheduledSync } from '../temporal/starters';
import type { XledgerClient } from '../xledger/client';
import { addWebhook, removeWebhook, webhookStates } from '../xledger/webhooks';
import { tenantXledger, type ActivityDeps } from './deps';

/** Where Xledger delivers a tenant's webhooks: the receiver's route (src/push/routes.ts). */
export const pushUrlOf = (baseUrl: string, tenantId: string): string =>
  `${baseUrl}/xledger/webhooks/${encodeURIComponent(tenantId)}`;

/**
 * The push watch of one tenant (README, "Push from Xledger"), run by its `pushWatch` schedule
 * and at onboarding:
 * 1. the subscriptions wanted: those its enabled data types need, of those its live schema
 *    offered when it was checked (recorded at upsert: no introspection here);
 * 2. their states, one request for all (`webhook(dbId:)` under aliases);
 * 3. any wanted one not registered, or PAUSED, FAULTED or gone, is registered (again); if Xledger
 *    refuses that, the field is recorded with the problem and its data types are polled;
 * 4. the data types pushed (every subscription they need healthy) get stretched schedules; the
 *    others their normal interval; the ones whose webhook was replaced get a sync now, for the
 *    changes whose deliveries were lost meanwhile.
 * Costs 1 request when all is well; +1 per registration.
 */
export function createWatchPush(deps: ActivityDeps) {
  return async function watchPush(input: { tenantId: string }): Promise<WatchPushResult> {
    const result: WatchPushResult = { pushedTypes: [], registered: [], reregistered: [], fallenBack: [] };
    const tenant = await deps.tenants.get(input.tenantId);
    const baseUrl = deps.push?.publicBaseUrl;
    if (!tenant.push || !baseUrl) return result;
    const now = new Date();
    const enabled = dataTypes.filter((type) => type.enabledFor(tenant.options)).map((type) => type.name);
    const offered = (await deps.tenants.schemaCheck(tenant.tenantId))?.subscriptions ?? [];
    const wanted = subscriptionsFor(enabled, offered);
    const previous = await readTenantPush(deps.db, tenant.tenantId);
    const url = pushUrlOf(baseUrl, tenant.tenantId);
    const { client } = await tenantXledger(deps, tenant.tenantId);

    const before = new Map((previous?.subscriptions ?? []).map((s) => [s.field, s]));
    const ids = wanted.flatMap((field) => {
      const id = before.get(field)?.webhookDbId;
      return id != null && previous?.url === url ? [id] : [];
    });
    const states = await webhookStates(client, ids);
    const subscriptions: PushSubscription[] = [];
    for (const field of wanted) {
      const prior = before.get(field);
      const state = prior?.webhookDbId != null ? (states.get(prior.webhookDbId) ?? null) : null;
      if (prior && previous?.url === url && isHealthyWebhookState(state)) {
        subscriptions.push({ ...prior, state, checkedAt: now.toISOString(), problem: null });
        continue;
      }
      subscriptions.push(await register(client, tenant, url, field, prior, state, now, result));
    }
    // Webhooks no longer wanted (a data type disabled, another URL) would deliver for nothing.
    for (const prior of before.values()) {
      if (prior.webhookDbId != null && !subscriptions.some((s) => s.webhookDbId === prior.webhookDbId)) {
        await removeWebhook(client, prior.webhookDbId).catch(() => false);
      }
    }

    const healthy = new Set(subscriptions.filter((s) => isHealthyWebhookState(s.state)).map((s) => s.field));
    result.pushedTypes = pushedDataTypes(enabled, healthy);
    const push: Omit<TenantPush, '_id' | 'updatedAt'> = {
      tenantId: tenant.tenantId,
      url,
      offered,
      subscriptions,
      pushedTypes: result.pushedTypes,
      polled: enabled
        .filter((type) => !result.pushedTypes.includes(type))
        .map((dataType) => ({ dataType, reason: pollReason(dataType, offered, subscriptions) })),
    };
    await saveTenantPush(deps.db, push);
    if (!sameTypes(previous?.pushedTypes ?? [], result.pushedTypes)) {
      await new TenantSchedules(deps.temporal, deps.taskQueue).upsert(tenant, false, {
        types: result.pushedTypes,
        factor: deps.push?.intervalFactor ?? 4,
      });
    }
    // A replaced webhook may have missed deliveries: sync what it covers now.
    const replaced = [...result.reregistered, ...result.fallenBack];
    for (const dataType of enabled.filter((type) => replaced.some((f) => needs(type, f)))) {
      await triggerScheduledSync(deps.temporal, tenant.tenantId, dataType);
    }
    await pruneDeliveries(
      deps.db,
      tenant.tenantId,
      new Date(now.getTime() - 2 * (deps.push?.dateWindowMs ?? 300_000)),
    );
    deps.logger.info({ tenantId: tenant.tenantId, ...result }, 'push watched');
    return result;
  };
}

async function register(
  client: XledgerClient,
  tenant: TenantSettings,
  url: string,
  field: string,
  prior: PushSubscription | undefined,
  state: string | null,
  now: Date,
  result: WatchPushResult,
): Promise<PushSubscription> {
  if (prior?.webhookDbId != null) await removeWebhook(client, prior.webhookDbId).catch(() => false);
  const again = prior !== undefined;
  try {
    const made = await addWebhook(client, {
      description: `xledger-sync ${tenant.tenantId} ${field}`,
      url,
      field,
    });
    (again ? result.reregistered : result.registered).push(field);
    return {
      field,
      webhookDbId: made.dbId,
      state: made.state,
      registeredAt: now.toISOString(),
      checkedAt: now.toISOString(),
      reregistrations: (prior?.reregistrations ?? 0) + (again ? 1 : 0),
      problem: null,
    };
  } catch (error) {
    result.fallenBack.push(field);
    // XledgerError messages come from Xledger's answer only, never from the request (no token).
    const reason = error instanceof Error ? error.message : String(error);
    return {
      field,
      webhookDbId: null,
      state: null,
      registeredAt: null,
      checkedAt: now.toISOString(),
      reregistrations: prior?.reregistrations ?? 0,
      problem: `${again ? `was ${state ?? 'gone'}; ` : ''}registration refused: ${reason}`,
    };
  }
}

function pollReason(dataType: string, offered: readonly string[], subscriptions: PushSubscription[]): string {
  const down = subscriptions.filter((s) => needs(dataType, s.field) && !isHealthyWebhookState(s.state));
  if (down.length > 0) {
    return `fallen back: ${down.map((s) => `${s.field}: ${s.problem ?? s.state ?? 'unknown'}`).join('; ')}`;
  }
  const missing = (SUBSCRIPTIONS_OF_DATA_TYPE[dataType] ?? []).filter((field) => !offered.includes(field));
  return `not offered by Xledger's schema: ${missing.join(', ') || 'no subscription covers it'}`;
}

const needs = (dataType: string, field: string): boolean =>
  (SUBSCRIPTIONS_OF_DATA_TYPE[dataType] ?? []).includes(field);

const sameTypes = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((type) => b.includes(type));
