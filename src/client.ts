import { Client, type Connection } from '@temporalio/client';
import { ConfigError } from './config';
import { XledgerSyncError } from './errors';
import { InvoiceConflictError } from './invoices/outbox';
import { TenantSchedules } from './temporal/schedules';
import { connectStore, ensureIndexes, type Store } from './store/db';
import { TenantStore, UnknownTenantError } from './store/tenants';
import { cipherFromConfig, type SecretCipher } from './store/token-cipher';
import { connectClient, temporalUnavailable } from './temporal/connection';
import type { SchemaCheckReport } from './catalogue/schema-check';
import type { TenantConfigInput, TenantSettings } from './domain/tenant';
import type { InvoiceInput } from './invoices/invoice';
import type { DataType } from './domain/data-types';
import type { ClientContext } from './client/context';
import { ReadOnlyClientError, ServiceUnavailableError, unavailable } from './client/errors';
import {
  clientSettings,
  clientSettingsFromEnv,
  type ClientOptions,
  type ClientSettings,
} from './client/options';
import { invoiceStatus, submitInvoice, type InvoiceStatus } from './client/invoices';
import { tenantStatus, type TenantStatus } from './client/status';
import {
  forceResync,
  getTenant,
  removeTenant,
  setPaused,
  upsertTenant,
  type UpsertedTenant,
  type ResyncOptions,
  type UpsertTenantOptions,
} from './client/tenant-lifecycle';
import {
  checkTenant,
  checkXledger,
  type TenantCheckReport,
  type XledgerCheckInput,
} from './client/xledger-check';
import * as events from './client/events';
import { refuseIncompatibleWorkers } from './client/compatibility';
import type { ChangesPage } from './client/events';
import { resyncProgress, type ResyncProgress, type ResyncTicket } from './client/resync';
import { listTenants, type ListedTenant, type ListTenantsFilter } from './client/tenant-state';
import { check } from './observability/readiness-check';

/**
 * The API SEMINE's backend calls (and the `xledger-sync` CLI is built on): onboard and run
 * tenants. Every input is validated with zod; every failure is one of the typed errors below,
 * all extending XledgerSyncError.
 *
 * This class is the façade; each part lives in src/client/: errors.ts (the API's errors),
 * tenant-lifecycle.ts (upsert, resync, pause, resume, remove), status.ts, invoices.ts, and
 * xledger-check.ts (the live schema check). Callers import everything from here.
 */

export { ConfigError, InvoiceConflictError, UnknownTenantError, XledgerSyncError };
export {
  InvalidInputError,
  ReadOnlyClientError,
  SchemaMismatchError,
  ServiceUnavailableError,
  TenantHasOpenInvoicesError,
  UnknownInvoiceError,
  XledgerRefusedError,
} from './client/errors';
export type { InvoiceStatus } from './client/invoices';
export type { DataTypeStatus, TenantStatus } from './client/status';
export type { ResyncOptions, UpsertedTenant, UpsertTenantOptions } from './client/tenant-lifecycle';
export type {
  DataTypeProgress,
  DataTypeProgressState,
  ResyncProgress,
  ResyncRun,
  ResyncTicket,
  StreamProgress,
} from './client/resync';
export type { ListedTenant, ListTenantsFilter, TenantStateView } from './client/tenant-state';
export {
  checkXledger,
  xledgerCheckInputSchema,
  type TenantCheckReport,
  type XledgerCheckInput,
} from './client/xledger-check';
export { validateInvoiceSubmission, validateTenantConfig } from './client/input';
export { UnknownEventError } from './client/events';
export { IncompatibleWorkersError, type FleetCompatibility, type WorkerPoller } from './client/compatibility';
export type {
  ChangesOptions,
  ChangesPage,
  EventList,
  EventListOptions,
  EventView,
  RedeliveryResult,
  SkipEventOptions,
  SkipResult,
} from './client/events';

export type { ClientOptions } from './client/options';

export class XledgerSyncClient {
  private constructor(
    private readonly context: ClientContext,
    private readonly connection: Connection,
    /** Set by `readOnly: true`: every write method throws ReadOnlyClientError. */
    readonly readOnly: boolean,
  ) {}

  /**
   * Connects with explicit options; nothing is read from the environment. The options are
   * validated first (ConfigError naming the option, before any server is touched). The data
   * goes to the database `mongodb.database`, by default `xledger_sync`: never the database in
   * the URI's path, which may be SEMINE's own. `readOnly: true` needs no tokenEncryptionKey,
   * creates no indexes and refuses every write method (ReadOnlyClientError).
   */
  static async connect(options: ClientOptions): Promise<XledgerSyncClient> {
    return XledgerSyncClient.open(clientSettings(options));
  }

  /**
   * Connects with `XLEDGER_SYNC_`-prefixed variables of `env` (`XLEDGER_SYNC_MONGODB_URI`,
   * `XLEDGER_SYNC_TEMPORAL_ADDRESS`, `XLEDGER_SYNC_TOKEN_ENCRYPTION_KEY`,
   * `XLEDGER_SYNC_READ_ONLY`, …); the host process's own MONGODB_URI and the like are ignored.
   */
  static async fromEnv(env: NodeJS.ProcessEnv = process.env): Promise<XledgerSyncClient> {
    return XledgerSyncClient.open(clientSettingsFromEnv(env));
  }

  private static async open({ config, readOnly }: ClientSettings): Promise<XledgerSyncClient> {
    // A read-only client may have no key: what would decrypt a secret says so.
    const cipher = config.tokenEncryptionKey || !readOnly ? cipherFromConfig(config) : keylessCipher;
    // Every request of the API waits at most MONGODB_TIMEOUT_MS (purges go in short batches).
    const timeouts = { timeoutMs: config.mongo.timeoutMs, requestTimeoutMs: config.mongo.timeoutMs };
    let store: Store;
    try {
      store = await connectStore(config.mongo.uri, config.mongo.dbName, timeouts);
    } catch (error) {
      throw new ServiceUnavailableError((error as Error).message);
    }
    try {
      // Indexes are writes: a read-only client reads what the worker created.
      if (!readOnly) await ensureIndexes(store.db);
    } catch (error) {
      await store.close();
      throw unavailable(config, error) ?? error;
    }
    let connection: Connection;
    try {
      connection = await connectClient(config.temporal);
    } catch (error) {
      await store.close();
      throw new ServiceUnavailableError(temporalUnavailable(config.temporal, error).message);
    }
    await refuseIncompatibleWorkers(connection, config.temporal).catch(async (error: unknown) => {
      await Promise.allSettled([connection.close(), store.close()]);
      throw unavailable(config, error) ?? error;
    });
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    return new XledgerSyncClient(
      {
        config,
        store,
        temporal,
        tenants: new TenantStore(store.db, cipher, config.xledger.defaultEndpoint),
        schedules: new TenantSchedules(temporal, config.temporal.taskQueue),
        readsSecrets: cipher !== keylessCipher,
      },
      connection,
      readOnly,
    );
  }

  /**
   * Onboards or changes a tenant: runs the live schema check against Xledger (the token, the
   * Entity Owner, the schema its operations need, its scopes), stores the tenant (token
   * encrypted) with what the check found, upserts one schedule per enabled data type and
   * starts the tenant workflow. The same config twice changes nothing.
   *
   * Refused: a token Xledger refuses (XledgerRefusedError), an owner the token cannot see
   * (InvalidInputError on entityOwnerDbId), operations the tenant needs that do not fit the
   * live schema (SchemaMismatchError, unless `acceptSchemaMismatch`). Saved with a note: a
   * schema Xledger would not introspect ("schema not verified"); with a warning: missing scopes
   * of enabled data types (their runs fail naming the scope until it is granted) and accepted
   * mismatches.
   */
  async upsertTenant(input: TenantConfigInput, options: UpsertTenantOptions = {}): Promise<UpsertedTenant> {
    return this.write('upsertTenant', () => upsertTenant(this.context, input, options));
  }

  /**
   * The live schema check of an endpoint and token before onboarding (see checkXledger): every
   * operation of the catalogue, and with ownerDbId the owner and the token's scopes.
   */
  async checkXledger(input: XledgerCheckInput): Promise<SchemaCheckReport> {
    return checkXledger(input, {
      requestTimeoutMs: this.context.config.xledger.requestTimeoutMs,
      endpointPolicy: this.context.config.xledger.endpointPolicy,
    });
  }

  /**
   * The live schema check of a stored tenant, with its own token (decrypted here, never
   * returned) and owner: what its enabled data types and invoices need decides `ok`.
   */
  async checkTenant(tenantId: string): Promise<TenantCheckReport> {
    return this.call(async () => checkTenant(this.context, await getTenant(this.context, tenantId)));
  }

  async getTenant(tenantId: string): Promise<TenantSettings> {
    return this.call(() => getTenant(this.context, tenantId));
  }

  /**
   * Every tenant with its state; with `state` (e.g. `['failed', 'needs_attention']` or
   * `'failed,needs_attention'`), only those where it or one of its data types is in one of them.
   */
  async listTenants(filter: ListTenantsFilter = {}): Promise<ListedTenant[]> {
    return this.call(() => listTenants(this.context, filter));
  }

  async tenantStatus(tenantId: string): Promise<TenantStatus> {
    return this.call(async () => tenantStatus(this.context, await getTenant(this.context, tenantId)));
  }

  /**
   * Sends the `resync` signal to the tenant workflow (starting it if needed) and returns the
   * runs that took it, per data type: waits up to `waitForRunsMs` (default TEMPORAL_TIMEOUT_MS;
   * 0: not at all) for them to start. A type whose run is already under way is served by the
   * one run that follows it: it is `waiting` until that starts. Follow them with resyncProgress.
   */
  async forceResync(tenantId: string, options: ResyncOptions = {}): Promise<ResyncTicket> {
    return this.write('forceResync', () => forceResync(this.context, tenantId, options));
  }

  /** Where the runs of a resync stand: records so far per stream, then figures or the failure. */
  async resyncProgress(tenantId: string, requestId: string): Promise<ResyncProgress> {
    return this.call(() => resyncProgress(this.context, tenantId, requestId));
  }

  async pauseTenant(tenantId: string, note = 'paused through the xledger-sync API'): Promise<void> {
    return this.write('pauseTenant', () => setPaused(this.context, tenantId, true, note));
  }

  /** Resumes the schedules, and ends a needs-attention episode (`tenant.recovered`, a resync of every type). */
  async resumeTenant(tenantId: string, note = 'resumed through the xledger-sync API'): Promise<void> {
    return this.write('resumeTenant', () => setPaused(this.context, tenantId, false, note));
  }

  /**
   * Takes an approved invoice for posting to Xledger exactly once. Idempotent by the invoice id:
   * the same invoice again returns its current status; different content under the same id
   * is an InvoiceConflictError.
   */
  async submitInvoice(tenantId: string, input: InvoiceInput): Promise<InvoiceStatus> {
    return this.write('submitInvoice', () => submitInvoice(this.context, tenantId, input));
  }

  async invoiceStatus(tenantId: string, invoiceId: string): Promise<InvoiceStatus> {
    return this.call(() => invoiceStatus(this.context, tenantId, invoiceId));
  }

  /**
   * Removes a tenant: its schedules, its workflow and every run still under way (a sync would
   * otherwise go on writing, even after a purge), then the tenant; with `purge`, also every
   * document of it in every collection (store/collections.ts). Refused while invoices are on
   * their way to Xledger, unless `force`: then their posting workflows end too, whatever state
   * they are in.
   */
  async removeTenant(tenantId: string, options: { purge?: boolean; force?: boolean } = {}): Promise<void> {
    return this.write('removeTenant', () => removeTenant(this.context, tenantId, options));
  }

  /** The tenant's events (the newest `limit`, or after a seq) and how their delivery went. */
  async listEvents(tenantId: string, options: events.EventListOptions = {}): Promise<events.EventList> {
    return this.call(() => events.listEvents(this.context, tenantId, options));
  }

  /** Sends one event again (same `webhook-id`); UnknownEventError if the tenant has none by that id. */
  async redeliverEvent(tenantId: string, eventId: string): Promise<events.RedeliveryResult> {
    return this.write('redeliverEvent', () => events.redeliverEvent(this.context, tenantId, eventId));
  }

  /**
   * Stops delivering one event that waits for delivery (a receiver keeps refusing it) so the
   * tenant's later events go: marked `skipped` with who (`by`) and when; `redeliverEvent` can
   * still send it. InvalidInputError for an event already delivered, failed or filtered.
   */
  async skipEvent(
    tenantId: string,
    eventId: string,
    options: events.SkipEventOptions = {},
  ): Promise<events.SkipResult> {
    return this.write('skipEvent', () => events.skipEvent(this.context, tenantId, eventId, options));
  }

  /** The change feed: the data type's records changed after `after` (deleted ones too), and the next cursor. */
  async changes<T extends DataType>(
    tenantId: string,
    dataType: T,
    options: events.ChangesOptions = {},
  ): Promise<ChangesPage<T>> {
    return this.call(() => events.changes(this.context, tenantId, dataType, options));
  }

  /** Whether Temporal and MongoDB answer now, each 'ok' or why not (the HTTP API's /readyz). */
  async readiness(): Promise<{ temporal: string; mongodb: string }> {
    const [temporal, mongodb] = await Promise.all([
      check(() => this.connection.workflowService.getSystemInfo({})),
      check(() => this.context.store.db.command({ ping: 1 })),
    ]);
    return { temporal, mongodb };
  }

  async close(): Promise<void> {
    await this.connection.close();
    await this.context.store.close();
  }

  /** Runs one API call that writes: refused at once by a read-only client. */
  private async write<T>(method: string, action: () => Promise<T>): Promise<T> {
    if (this.readOnly) throw new ReadOnlyClientError(method);
    return this.call(action);
  }

  /**
   * Runs one API call: MongoDB or Temporal failing to answer (or to be reached) becomes a
   * ServiceUnavailableError naming which of the two.
   */
  private async call<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw unavailable(this.context.config, error) ?? error;
    }
  }
}

/** The cipher of a read-only client without a key: reading a secret is the one thing it cannot do. */
const keylessCipher: SecretCipher = {
  encrypt: () => {
    throw new ConfigError('This read-only client has no tokenEncryptionKey: it stores no secrets');
  },
  decrypt: () => {
    throw new ConfigError(
      "This read-only client has no tokenEncryptionKey: it cannot decrypt a tenant's token (checkTenant needs one)",
    );
  },
};
