import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { TenantSchedules } from '../schedules';
import type { Store } from '../store/db';
import type { TenantStore } from '../store/tenants';

/** What every part of the client API works with; XledgerSyncClient.connect() builds it once. */
export interface ClientContext {
  config: Config;
  store: Store;
  temporal: Client;
  tenants: TenantStore;
  schedules: TenantSchedules;
}
