import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { TenantSchedules } from '../temporal/schedules';
import type { Store } from '../store/db';
import type { TenantStore } from '../store/tenants';
import type { WorkflowStarter } from '../temporal/starters';

/** What every part of the client API works with; XledgerSyncClient.connect() builds it once. */
export interface ClientContext {
  config: Config;
  store: Store;
  temporal: Client;
  tenants: TenantStore;
  schedules: TenantSchedules;
  /** false for a read-only client without tokenEncryptionKey: what needs a token does without it. */
  readsSecrets: boolean;
}

/** Where the client's workflows start: the service's task queue, through its Temporal client. */
export function starterOf(ctx: ClientContext): WorkflowStarter {
  return { temporal: ctx.temporal, taskQueue: ctx.config.temporal.taskQueue };
}
