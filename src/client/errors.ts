import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import type { Config } from '../config';
import { XledgerSyncError } from '../errors';
import { storeUnavailable, StoreUnavailableError } from '../store/db';
import { isTemporalUnavailable, temporalUnavailable } from '../temporal/connection';
import { mismatchText, type SchemaMismatch } from '../catalogue/schema-check';

/**
 * The client API's own errors. Every error the API throws on purpose extends XledgerSyncError
 * (src/errors.ts), these and those defined beside what they are about (UnknownTenantError in the
 * tenant store, InvoiceConflictError in the invoice outbox, ConfigError in the configuration);
 * src/client.ts exports them all.
 */

/**
 * Temporal or MongoDB could not be reached or did not answer in time (MONGODB_TIMEOUT_MS,
 * TEMPORAL_TIMEOUT_MS); the message names which, and where (never with credentials).
 */
export class ServiceUnavailableError extends XledgerSyncError {
  override name = 'ServiceUnavailableError';
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

/**
 * A write method of a client connected with `readOnly: true`: refused before any server is
 * asked. `method` names the call (e.g. `upsertTenant`).
 */
export class ReadOnlyClientError extends XledgerSyncError {
  override name = 'ReadOnlyClientError';
  constructor(readonly method: string) {
    super(`${method} writes, and this client is read-only (connected with readOnly: true)`);
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

export class UnknownInvoiceError extends XledgerSyncError {
  override name = 'UnknownInvoiceError';
  constructor(
    readonly tenantId: string,
    readonly invoiceId: string,
  ) {
    super(`Unknown invoice "${invoiceId}" of tenant ${tenantId}`);
  }
}

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

/** The ServiceUnavailableError for an error of MongoDB or Temporal not answering; undefined for any other. */
export function unavailable(config: Config, error: unknown): ServiceUnavailableError | undefined {
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
