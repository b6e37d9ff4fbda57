import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { InvoicePostingSettings, PushSettings, WebhookSettings } from '../config';
import type { Logger } from '../logger';
import type { TenantStore } from '../store/tenants';
import type { TenantSettings } from '../domain/tenant';
import type { XledgerClient } from '../xledger/client';

/** What activities are built from: injected, so tests and the worker wire the same code. */
export interface ActivityDeps {
  db: Db;
  tenants: TenantStore;
  /**
   * A client for a tenant's endpoint and token, sharing that token's request gate within this
   * worker; the tenant id labels its metrics.
   */
  xledgerFor(endpoint: string, token: string, tenantId?: string, options?: XledgerForOptions): XledgerClient;
  /** For activities that act on Temporal itself (triggering a tenant's schedules). */
  temporal: Client;
  /** The task queue workflows started by activities run on. */
  taskQueue: string;
  pageSize: number;
  logger: Logger;
  /** Safety overlap subtracted from the high-water mark of incremental reads (Xledger's sample uses 15). */
  overlapMinutes?: number;
  /** How often a running pass heartbeats while a page is in flight. */
  heartbeatIntervalMs?: number;
  /** Event delivery (config.webhooks); without it: no default endpoint, any public https host. */
  webhooks?: WebhookSettings;
  /** Invoice posting (config.invoices); without it: the defaults (invoices/posting-settings.ts). */
  invoices?: InvoicePostingSettings;
  /** Push from Xledger (config.push); without it no tenant's webhooks are registered. */
  push?: PushSettings;
}

/** What a tenant's client does beyond endpoint and token, as its schema check found. */
export interface XledgerForOptions {
  /** The tenant's Xledger has `rateLimit { remaining cost }` (src/xledger/rate-limit.ts). */
  readRateLimit?: boolean;
}

/** A tenant's settings, and an Xledger client for its endpoint and token. */
export async function tenantXledger(
  deps: ActivityDeps,
  tenantId: string,
): Promise<{ tenant: TenantSettings; client: XledgerClient }> {
  const tenant = await deps.tenants.get(tenantId);
  const readRateLimit = await deps.tenants.readsRateLimit(tenantId);
  const client = deps.xledgerFor(tenant.xledger.endpoint, await deps.tenants.token(tenantId), tenantId, {
    readRateLimit,
  });
  return { tenant, client };
}
