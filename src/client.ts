import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
  type Connection,
} from '@temporalio/client';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import { z } from 'zod';
import { loadConfig, type Config } from './config';
import { dataTypes, masterDataTypeNames } from './datatypes/registry';
import { invoiceSchema } from './invoices/invoice';
import { submitToOutbox } from './invoices/submit';
import { intervalMinutesFor, scheduleSpecsFor, TenantSchedules } from './schedules';
import { boundedDeleteMany } from './store/bounded';
import {
  collections,
  connectStore,
  ensureIndexes,
  storeUnavailable,
  StoreUnavailableError,
  type Store,
} from './store/db';
import {
  getOutboxInvoice,
  InvoiceConflictError,
  invoiceCounts,
  OUTBOX,
  type InvoiceState,
  type OutboxInvoice,
} from './store/invoice-outbox';
import { loadCheckpoint } from './store/checkpoints';
import { latestRuns, type StoredRun } from './store/runs';
import { POSTING_LEASES } from './store/posting-leases';
import { SYNC_REQUESTS } from './store/sync-requests';
import { TenantStore, UnknownTenantError, type TenantSchemaCheck } from './store/tenants';
import { cipherFromConfig } from './store/token-cipher';
import type { DeletionReview } from './sync/deletion-guard';
import {
  scheduledTypeNames,
  tenantConfigSchema,
  tenantIdSchema,
  xledgerTokenSchema,
  type TenantSettings,
} from './tenant';
import { connectClient, isTemporalUnavailable, temporalUnavailable } from './temporal/connection';
import { scheduleId, tenantWorkflowId } from './temporal/ids';
import { TenantIdKey } from './temporal/search-attributes';
import { XledgerError } from './xledger/errors';
import { POSTING_USER } from './xledger/operations';
import {
  assessCheck,
  checkLiveSchema,
  isNeeded,
  mismatchText,
  missingScopeText,
  type SchemaCheckReport,
  type SchemaCheckResult,
  type SchemaMismatch,
} from './xledger/schema-check';
import type { ResyncRequest, TenantWorkflowStatus } from './workflows/tenant-state';

/**
 * The API SEMINE's backend calls (and the `xledger-sync` CLI is built on): onboard and run
 * tenants. Every input is validated with zod; every failure is one of the typed errors below.
 */

export { UnknownTenantError };

export class XledgerSyncError extends Error {
  override name = 'XledgerSyncError';
}

/** The input is invalid; `field` names what is wrong. */
export class InvalidInputError extends XledgerSyncError {
  override name = 'InvalidInputError';
  constructor(
    readonly tenantId: string | undefined,
    readonly issues: Array<{ field: string; message: string }>,
  ) {
    super(
      `Invalid input${tenantId ? ` for tenant ${tenantId}` : ''}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    );
  }
}

/** Xledger refused the tenant's token, or the token cannot see the Entity Owner. */
export class XledgerRefusedError extends XledgerSyncError {
  override name = 'XledgerRefusedError';
}

/**
 * Operations the tenant needs do not fit the schema Xledger serves to its token (the live
 * schema check): its syncs or postings would fail. Not an input error — the config is valid;
 * the client and Xledger disagree — so the CLI exits 1. `acceptSchemaMismatch: true` (CLI
 * `--accept-schema-mismatch`) saves the tenant anyway, with a warning in its status.
 */
export class SchemaMismatchError extends XledgerSyncError {
  override name = 'SchemaMismatchError';
  constructor(
    readonly tenantId: string,
    readonly mismatches: Array<{ operation: string } & SchemaMismatch>,
  ) {
    const operations = [...new Set(mismatches.map((m) => m.operation))];
    super(
      `Tenant ${tenantId}: ${operations.length} operation(s) the tenant needs do not fit Xledger's schema: ` +
        operations
          .map((name) => `${name}: ${mismatchText(mismatches.filter((m) => m.operation === name))}`)
          .join('; ') +
        ' (to save the tenant anyway: acceptSchemaMismatch / --accept-schema-mismatch)',
    );
  }
}

/**
 * Temporal or MongoDB could not be reached or did not answer in time (MONGODB_TIMEOUT_MS,
 * TEMPORAL_TIMEOUT_MS); the message names which, and where (never with credentials).
 */
export class ServiceUnavailableError extends XledgerSyncError {
  override name = 'ServiceUnavailableError';
}

/** An invoice as SEMINE sees its progress (the invoice content stays in the outbox). */
export interface InvoiceStatus {
  tenantId: string;
  invoiceId: string;
  state: InvoiceState;
  /** Why it was rejected, from the validator or from Xledger. */
  reasons: string[];
  /** The last transient error while retrying. */
  lastError: string | null;
  xledger: { lineDbIds: number[]; transactionDbId: number | null };
  submittedAt: string;
  updatedAt: string;
  postedAt: string | null;
}

export class UnknownInvoiceError extends XledgerSyncError {
  override name = 'UnknownInvoiceError';
  constructor(
    readonly tenantId: string,
    readonly invoiceId: string,
  ) {
    super(`Unknown invoice "${invoiceId}" of tenant ${tenantId}`);
  }
}

export { InvoiceConflictError };

/** The tenant still has invoices on their way to Xledger; removing it now would strand them. */
export class TenantHasOpenInvoicesError extends XledgerSyncError {
  override name = 'TenantHasOpenInvoicesError';
  constructor(
    readonly tenantId: string,
    readonly openInvoices: number,
  ) {
    super(
      `Tenant ${tenantId} still has ${openInvoices} invoice(s) not yet posted or rejected; wait for them, or remove it with force (their posting workflows are terminated)`,
    );
  }
}

export interface DataTypeStatus {
  dataType: string;
  intervalMinutes: number;
  paused: boolean;
  nextRunAt: string | null;
  runningNow: boolean;
  lastRun: StoredRun | null;
  /** The last run's failure, when the most recent run failed. */
  lastError: string | null;
  /**
   * Deletions a full pass held back (a mass deletion) until an operator confirms with a full
   * resync that allows them, or a later full pass finds fewer: one entry per stream.
   */
  heldDeletions: Array<{ stream: string } & DeletionReview>;
}

export interface TenantStatus {
  tenant: TenantSettings;
  paused: boolean;
  /** Each enabled data type, then `invoices` (the posting schedule, which has no run figures). */
  dataTypes: DataTypeStatus[];
  /** The tenant's submitted invoices by state. */
  invoices: Record<InvoiceState, number>;
  /** Live state of the tenant workflow (pending and recent resync requests). */
  workflow: TenantWorkflowStatus | null;
  /** What the live schema check found when the tenant was last saved (null: saved before it existed). */
  schemaCheck: TenantSchemaCheck | null;
}

export interface UpsertTenantOptions {
  /**
   * Save the tenant even when operations it needs do not fit Xledger's schema; the mismatches
   * stay in its status as a warning.
   */
  acceptSchemaMismatch?: boolean;
}

/** The saved tenant, and what the live schema check found. */
export type UpsertedTenant = TenantSettings & { schemaCheck: TenantSchemaCheck };

/** The live schema check of a stored tenant: only what the tenant needs decides `ok`. */
export type TenantCheckReport = SchemaCheckReport & { tenantId: string };

const upsertOptionsSchema = z.object({ acceptSchemaMismatch: z.boolean().optional() }).strict();

/** `checkXledger`'s input: an endpoint and token before any tenant exists. */
export const xledgerCheckInputSchema = z
  .object({
    endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    token: xledgerTokenSchema,
    ownerDbId: z
      .number({ error: 'must be a positive integer' })
      .int({ error: 'must be a positive integer' })
      .positive({ error: 'must be a positive integer' })
      .optional(),
  })
  .strict();

/**
 * The live schema check of an endpoint and token (and, with ownerDbId, the owner and the
 * token's scopes), before onboarding: every operation counts. Needs neither Temporal nor
 * MongoDB, so the CLI's `xledger check` runs it without them. InvalidInputError (naming the
 * field) before any request; XledgerRefusedError when Xledger refuses the token or cannot be
 * reached; a refused introspection is a report with `schema.verified: false`, not an error.
 */
export async function checkXledger(
  input: unknown,
  options: { requestTimeoutMs: number },
): Promise<SchemaCheckReport> {
  const parsed = xledgerCheckInputSchema.safeParse(input);
  if (!parsed.success) throw invalid(undefined, parsed.error);
  const { endpoint, token, ownerDbId } = parsed.data;
  const result = await runCheck(null, {
    endpoint,
    token,
    requestTimeoutMs: options.requestTimeoutMs,
    ...(ownerDbId !== undefined ? { ownerDbId } : {}),
  });
  return assessCheck(result, null);
}

/** The data types a tenant syncs, and `invoices` (every tenant posts): what its check counts. */
function neededBy(tenant: TenantSettings): string[] {
  return [
    ...dataTypes.filter((type) => type.enabledFor(tenant.options)).map((type) => type.name),
    POSTING_USER,
  ];
}

/** The check, with Xledger's failures (a refused token, an unreachable endpoint) as XledgerRefusedError. */
async function runCheck(
  tenantId: string | null,
  options: Parameters<typeof checkLiveSchema>[0],
): Promise<SchemaCheckResult> {
  try {
    return await checkLiveSchema(options);
  } catch (error) {
    // XledgerError messages are built from Xledger's answer only, never from the request.
    if (error instanceof XledgerError) {
      throw new XledgerRefusedError(
        tenantId
          ? `Tenant ${tenantId}: Xledger refused the check of the token: ${error.message}`
          : `The Xledger check failed: ${error.message}`,
      );
    }
    throw error;
  }
}

const resyncOptionsSchema = z
  .object({
    dataTypes: z.array(z.enum(masterDataTypeNames as [string, ...string[]])).optional(),
    full: z.boolean().optional(),
    /** Let this full pass apply deletions that the mass-deletion guard held back. */
    allowMassDelete: z.boolean().optional(),
  })
  .refine((options) => !options.allowMassDelete || options.full === true, {
    message: 'allowMassDelete needs a full resync (full: true)',
    path: ['allowMassDelete'],
  });

export interface XledgerSyncClientOptions {
  /** Defaults to loadConfig() (the environment). */
  config?: Config;
}

export class XledgerSyncClient {
  private constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly connection: Connection,
    private readonly temporal: Client,
    private readonly tenants: TenantStore,
    private readonly schedules: TenantSchedules,
  ) {}

  static async connect(options: XledgerSyncClientOptions = {}): Promise<XledgerSyncClient> {
    const config = options.config ?? loadConfig();
    const cipher = cipherFromConfig(config);
    // Every request of the API waits at most MONGODB_TIMEOUT_MS (purges go in short batches).
    const timeouts = { timeoutMs: config.mongo.timeoutMs, requestTimeoutMs: config.mongo.timeoutMs };
    let store: Store;
    try {
      store = await connectStore(config.mongo.uri, config.mongo.dbName, timeouts);
    } catch (error) {
      throw new ServiceUnavailableError((error as Error).message);
    }
    try {
      await ensureIndexes(store.db);
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
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    return new XledgerSyncClient(
      config,
      store,
      connection,
      temporal,
      new TenantStore(store.db, cipher, config.xledger.defaultEndpoint),
      new TenantSchedules(temporal, config.temporal.taskQueue),
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
  async upsertTenant(input: unknown, options: UpsertTenantOptions = {}): Promise<UpsertedTenant> {
    return this.call(async () => {
      const parsed = tenantConfigSchema.safeParse(input);
      if (!parsed.success) throw invalid(input, parsed.error);
      const config = parsed.data;
      const parsedOptions = upsertOptionsSchema.safeParse(options);
      if (!parsedOptions.success) throw invalid(input, parsedOptions.error);
      const settings = this.tenants.settingsOf(config);
      const schemaCheck = await this.checkBeforeSaving(
        settings,
        config.xledger.token,
        parsedOptions.data.acceptSchemaMismatch === true,
      );
      const wasPaused = await this.isPaused(config.tenantId);
      await this.tenants.save(config, new Date(), schemaCheck);
      await this.schedules.upsert(settings, wasPaused);
      await this.ensureTenantWorkflow(config.tenantId);
      return { ...settings, schemaCheck };
    });
  }

  /**
   * The live schema check of an endpoint and token before onboarding (see checkXledger): every
   * operation of the catalogue, and with ownerDbId the owner and the token's scopes.
   */
  async checkXledger(input: unknown): Promise<SchemaCheckReport> {
    return checkXledger(input, { requestTimeoutMs: this.config.xledger.requestTimeoutMs });
  }

  /**
   * The live schema check of a stored tenant, with its own token (decrypted here, never
   * returned) and owner: what its enabled data types and invoices need decides `ok`.
   */
  async checkTenant(tenantId: string): Promise<TenantCheckReport> {
    return this.call(async () => {
      const tenant = await this.getTenant(tenantId);
      const token = await this.tenants.token(tenant.tenantId);
      const result = await runCheck(tenant.tenantId, {
        endpoint: tenant.xledger.endpoint,
        token,
        ownerDbId: tenant.entityOwnerDbId,
        requestTimeoutMs: this.config.xledger.requestTimeoutMs,
      });
      return { tenantId: tenant.tenantId, ...assessCheck(result, neededBy(tenant)) };
    });
  }

  async getTenant(tenantId: string): Promise<TenantSettings> {
    return this.call(() => this.tenants.get(parseTenantId(tenantId)));
  }

  async listTenants(): Promise<TenantSettings[]> {
    return this.call(() => this.tenants.list());
  }

  async tenantStatus(tenantId: string): Promise<TenantStatus> {
    return this.call(async () => {
      const tenant = await this.getTenant(tenantId);
      const scheduled = scheduleSpecsFor(tenant).map((spec) => spec.dataType);
      const statuses = await Promise.all(scheduled.map((name) => this.dataTypeStatus(tenant, name)));
      return {
        tenant,
        paused: statuses.length > 0 && statuses.every((s) => s.paused),
        dataTypes: statuses,
        invoices: await invoiceCounts(this.store.db, tenant.tenantId),
        workflow: await this.tenantWorkflowStatus(tenant.tenantId),
        schemaCheck: await this.tenants.schemaCheck(tenant.tenantId),
      };
    });
  }

  /** Sends the `resync` signal to the tenant workflow (starting it if needed). */
  async forceResync(tenantId: string, options: ResyncRequest = {}): Promise<void> {
    return this.call(async () => {
      const id = parseTenantId(tenantId);
      const parsed = resyncOptionsSchema.safeParse(options);
      if (!parsed.success) throw invalid({ tenantId: id }, parsed.error);
      await this.tenants.get(id);
      await this.temporal.workflow.signalWithStart('tenantWorkflow', {
        workflowId: tenantWorkflowId(id),
        taskQueue: this.config.temporal.taskQueue,
        args: [{ tenantId: id }],
        signal: 'resync',
        signalArgs: [parsed.data],
        typedSearchAttributes: [{ key: TenantIdKey, value: id }],
      });
    });
  }

  async pauseTenant(tenantId: string, note = 'paused through the xledger-sync API'): Promise<void> {
    return this.call(async () => {
      const tenant = await this.getTenant(tenantId);
      await this.schedules.setPaused(tenant, true, note);
    });
  }

  async resumeTenant(tenantId: string, note = 'resumed through the xledger-sync API'): Promise<void> {
    return this.call(async () => {
      const tenant = await this.getTenant(tenantId);
      await this.schedules.setPaused(tenant, false, note);
    });
  }

  /**
   * Takes an approved invoice for posting to Xledger exactly once. Idempotent by the invoice id:
   * the same invoice again returns its current status; different content under the same id
   * is an InvoiceConflictError.
   */
  async submitInvoice(tenantId: string, input: unknown): Promise<InvoiceStatus> {
    return this.call(async () => {
      const id = parseTenantId(tenantId);
      const parsed = invoiceSchema.safeParse(input);
      if (!parsed.success) throw invalid({ tenantId: id }, parsed.error);
      const stored = await submitToOutbox(
        {
          db: this.store.db,
          temporal: this.temporal,
          taskQueue: this.config.temporal.taskQueue,
          tenants: this.tenants,
        },
        id,
        parsed.data,
      );
      return invoiceStatusOf(stored);
    });
  }

  async invoiceStatus(tenantId: string, invoiceId: string): Promise<InvoiceStatus> {
    return this.call(async () => {
      const id = parseTenantId(tenantId);
      await this.tenants.get(id);
      const stored = await getOutboxInvoice(this.store.db, id, invoiceId);
      if (!stored) throw new UnknownInvoiceError(id, invoiceId);
      return invoiceStatusOf(stored);
    });
  }

  /** Removes the schedules, the tenant workflow and the tenant; the synced data too with `purge`. */
  /**
   * Removes a tenant: its schedules, its workflow and every run still under way (a sync would
   * otherwise go on writing, even after a purge). Refused while invoices are on their way to
   * Xledger, unless `force`: then their posting workflows end too, whatever state they are in.
   */
  async removeTenant(tenantId: string, options: { purge?: boolean; force?: boolean } = {}): Promise<void> {
    return this.call(async () => {
      const id = parseTenantId(tenantId);
      await this.tenants.get(id);
      const invoices = await invoiceCounts(this.store.db, id);
      const open = invoices.pending + invoices.posting + invoices.accepted + invoices.retrying;
      if (open > 0 && !options.force) throw new TenantHasOpenInvoicesError(id, open);
      await this.schedules.removeAll(id);
      const running = this.temporal.workflow.list({
        query: `${TenantIdKey.name} = "${id}" AND ExecutionStatus = "Running"`,
      });
      const handles = [this.temporal.workflow.getHandle(tenantWorkflowId(id))];
      for await (const execution of running) {
        if (execution.workflowId !== tenantWorkflowId(id)) {
          handles.push(this.temporal.workflow.getHandle(execution.workflowId, execution.runId));
        }
      }
      for (const handle of handles) {
        try {
          await handle.terminate('tenant removed');
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
      if (options.purge) {
        const names = [
          ...new Set([
            ...dataTypes.flatMap((type) => type.streams.map((stream) => stream.collection)),
            ...Object.values(collections).filter((name) => name !== collections.tenants),
            SYNC_REQUESTS,
            OUTBOX,
            POSTING_LEASES,
          ]),
        ];
        for (const name of names) await boundedDeleteMany(this.store.db.collection(name), { tenantId: id });
      }
      await this.tenants.remove(id);
    });
  }

  /**
   * Runs one API call: MongoDB or Temporal failing to answer (or to be reached) becomes a
   * ServiceUnavailableError naming which of the two.
   */
  private async call<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw unavailable(this.config, error) ?? error;
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
    await this.store.close();
  }

  /** The live schema check before a tenant is saved: throws what refuses it, returns what to store. */
  private async checkBeforeSaving(
    tenant: TenantSettings,
    token: string,
    acceptSchemaMismatch: boolean,
  ): Promise<TenantSchemaCheck> {
    const result = await runCheck(tenant.tenantId, {
      endpoint: tenant.xledger.endpoint,
      token,
      ownerDbId: tenant.entityOwnerDbId,
      requestTimeoutMs: this.config.xledger.requestTimeoutMs,
    });
    const needs = neededBy(tenant);
    const owner = result.owner!;
    if (owner.visible === false) {
      throw new InvalidInputError(tenant.tenantId, [
        {
          field: 'entityOwnerDbId',
          message: `the token cannot see entity ${tenant.entityOwnerDbId} in Xledger`,
        },
      ]);
    }
    if (owner.visible === null) {
      throw new XledgerRefusedError(
        `Tenant ${tenant.tenantId}: Xledger refused the check of the token: could not read the entities: ${owner.error}`,
      );
    }
    const mismatches = result.operations
      .filter((operation) => !operation.ok && isNeeded(operation.usedBy, needs))
      .flatMap((operation) => operation.mismatches.map((m) => ({ operation: operation.name, ...m })));
    if (mismatches.length > 0 && !acceptSchemaMismatch) {
      throw new SchemaMismatchError(tenant.tenantId, mismatches);
    }
    const scopeWarnings = (result.scopes?.missing ?? [])
      .filter((missing) => missing.field !== 'entities' && isNeeded(missing.usedBy, needs))
      .map(missingScopeText);
    const mismatchWarnings = [...new Set(mismatches.map((m) => m.operation))].map(
      (name) =>
        `accepted schema mismatch: ${name}: ${mismatchText(mismatches.filter((m) => m.operation === name))}`,
    );
    return {
      checkedAt: new Date().toISOString(),
      outcome: !result.schema.verified
        ? 'not_verified'
        : mismatches.length > 0
          ? 'mismatch_accepted'
          : 'verified',
      note: result.schema.verified ? null : `schema not verified: ${result.schema.reason}`,
      warnings: [...mismatchWarnings, ...scopeWarnings],
    };
  }

  private async ensureTenantWorkflow(tenantId: string): Promise<void> {
    try {
      await this.temporal.workflow.start('tenantWorkflow', {
        workflowId: tenantWorkflowId(tenantId),
        taskQueue: this.config.temporal.taskQueue,
        args: [{ tenantId }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  private async isPaused(tenantId: string): Promise<boolean> {
    for (const name of scheduledTypeNames) {
      try {
        const description = await this.temporal.schedule.getHandle(scheduleId(tenantId, name)).describe();
        return description.state.paused;
      } catch {
        continue;
      }
    }
    return false;
  }

  private async dataTypeStatus(tenant: TenantSettings, dataType: string): Promise<DataTypeStatus> {
    const [lastRun] = await latestRuns(this.store.db, tenant.tenantId, dataType, 1);
    const status: DataTypeStatus = {
      dataType,
      intervalMinutes: intervalMinutesFor(tenant, dataType),
      paused: false,
      nextRunAt: null,
      runningNow: false,
      lastRun: lastRun ?? null,
      lastError: null,
      heldDeletions: await this.heldDeletions(tenant.tenantId, dataType),
    };
    try {
      const description = await this.temporal.schedule
        .getHandle(scheduleId(tenant.tenantId, dataType))
        .describe();
      status.paused = description.state.paused;
      status.nextRunAt = description.info.nextActionTimes[0]?.toISOString() ?? null;
      status.runningNow = description.info.runningActions.length > 0;
      const latest = description.info.recentActions.at(-1);
      if (latest)
        status.lastError = await this.failureOf(
          latest.action.workflow.workflowId,
          latest.action.workflow.firstExecutionRunId,
        );
    } catch {
      // No schedule (yet): the status says what the store knows.
    }
    return status;
  }

  private async heldDeletions(tenantId: string, dataType: string): Promise<DataTypeStatus['heldDeletions']> {
    const streams = dataTypes.find((type) => type.name === dataType)?.streams ?? [];
    const held: DataTypeStatus['heldDeletions'] = [];
    for (const stream of streams) {
      const review = (await loadCheckpoint(this.store.db, tenantId, stream.name)).deletionReview;
      if (review) held.push({ stream: stream.name, ...review });
    }
    return held;
  }

  private async failureOf(workflowId: string, runId: string): Promise<string | null> {
    const handle = this.temporal.workflow.getHandle(workflowId, runId);
    const description = await handle.describe();
    if (description.status.name !== 'FAILED' && description.status.name !== 'TIMED_OUT') return null;
    try {
      await handle.result();
      return null;
    } catch (error) {
      const cause = (error as { cause?: { cause?: Error; message?: string } }).cause;
      return cause?.cause?.message ?? cause?.message ?? (error as Error).message;
    }
  }

  private async tenantWorkflowStatus(tenantId: string): Promise<TenantWorkflowStatus | null> {
    try {
      return await this.temporal.workflow
        .getHandle(tenantWorkflowId(tenantId))
        .query<TenantWorkflowStatus>('status');
    } catch {
      return null;
    }
  }
}

/** The ServiceUnavailableError for an error of MongoDB or Temporal not answering; undefined for any other. */
function unavailable(config: Config, error: unknown): ServiceUnavailableError | undefined {
  if (error instanceof ServiceUnavailableError) return error;
  if (error instanceof StoreUnavailableError) return new ServiceUnavailableError(error.message);
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) {
    return new ServiceUnavailableError(
      storeUnavailable(config.mongo.uri, config.mongo.timeoutMs, error).message,
    );
  }
  if (isTemporalUnavailable(error)) {
    return new ServiceUnavailableError(temporalUnavailable(config.temporal, error).message);
  }
  return undefined;
}

function invoiceStatusOf(stored: OutboxInvoice): InvoiceStatus {
  return {
    tenantId: stored.tenantId,
    invoiceId: stored.invoiceId,
    state: stored.state,
    reasons: stored.reasons,
    lastError: stored.lastError,
    xledger: stored.xledger,
    submittedAt: stored.submittedAt.toISOString(),
    updatedAt: stored.updatedAt.toISOString(),
    postedAt: stored.postedAt?.toISOString() ?? null,
  };
}

function parseTenantId(tenantId: string): string {
  const parsed = tenantIdSchema.safeParse(tenantId);
  if (!parsed.success)
    throw new InvalidInputError(undefined, [
      { field: 'tenantId', message: parsed.error.issues[0]?.message ?? 'invalid' },
    ]);
  return parsed.data;
}

function invalid(input: unknown, error: z.ZodError): InvalidInputError {
  const tenantId =
    typeof (input as { tenantId?: unknown })?.tenantId === 'string'
      ? (input as { tenantId: string }).tenantId
      : undefined;
  return new InvalidInputError(
    tenantId,
    // zod messages name the problem, never the value, so a mistyped token is not echoed back.
    error.issues.map((issue) => ({
      field: issue.path.map(String).join('.') || '(input)',
      message: issue.message,
    })),
  );
}
