import { z } from 'zod';
import { dataTypes } from '../datatypes/registry';
import type { TenantSchemaCheck } from '../store/tenant-record';
import { postingSettingsOf, xledgerTokenSchema, type TenantSettings } from '../domain/tenant';
import { endpointProblem, type EndpointPolicy } from '../security/endpoint-policy';
import { XledgerError } from '../xledger/errors';
import { ATTACH_DOCUMENT_USER } from '../xledger/gl-import';
import { PUSH_USER } from '../xledger/webhooks';
import {
  assessCheck,
  checkLiveSchema,
  isNeeded,
  mismatchText,
  missingScopeText,
  type SchemaCheckReport,
  type SchemaCheckResult,
} from '../catalogue/schema-check';
import type { ClientContext } from './context';
import { InvalidInputError, SchemaMismatchError, XledgerRefusedError } from './errors';
import { invalid } from './input';
import { POSTING_USER } from '../catalogue/operations';

/**
 * The live schema check as the client API runs it (src/catalogue/schema-check.ts does the work):
 * before onboarding, for a stored tenant, and before a tenant is saved.
 */

/** The live schema check of a stored tenant: only what the tenant needs decides `ok`. */
export type TenantCheckReport = SchemaCheckReport & { tenantId: string };

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

export type XledgerCheckInput = z.input<typeof xledgerCheckInputSchema>;

/**
 * The live schema check of an endpoint and token (and, with ownerDbId, the owner and the
 * token's scopes), before onboarding: every operation counts. Needs neither Temporal nor
 * MongoDB, so the CLI's `xledger check` runs it without them. InvalidInputError (naming the
 * field) before any request; XledgerRefusedError when Xledger refuses the token or cannot be
 * reached; a refused introspection is a report with `schema.verified: false`, not an error.
 */
export async function checkXledger(
  input: unknown,
  options: { requestTimeoutMs: number; endpointPolicy: EndpointPolicy },
): Promise<SchemaCheckReport> {
  const parsed = xledgerCheckInputSchema.safeParse(input);
  if (!parsed.success) throw invalid(undefined, parsed.error);
  const { endpoint, token, ownerDbId } = parsed.data;
  const problem = endpointProblem(endpoint, options.endpointPolicy);
  if (problem) throw new InvalidInputError(undefined, [{ field: 'endpoint', message: problem }]);
  const result = await runCheck(null, {
    endpoint,
    token,
    endpointPolicy: options.endpointPolicy,
    requestTimeoutMs: options.requestTimeoutMs,
    ...(ownerDbId !== undefined ? { ownerDbId } : {}),
  });
  return assessCheck(result, null);
}

/** The live check of a tenant's endpoint and owner with the given token. */
function checkWithToken(ctx: ClientContext, tenant: TenantSettings, token: string) {
  return runCheck(tenant.tenantId, {
    endpoint: tenant.xledger.endpoint,
    token,
    ownerDbId: tenant.entityOwnerDbId,
    endpointPolicy: ctx.config.xledger.endpointPolicy,
    requestTimeoutMs: ctx.config.xledger.requestTimeoutMs,
  });
}

/**
 * The live schema check of a stored tenant, with its own token (decrypted here, never
 * returned) and owner: what its enabled data types and invoices need decides `ok`.
 */
export async function checkTenant(ctx: ClientContext, tenant: TenantSettings): Promise<TenantCheckReport> {
  const token = await ctx.tenants.token(tenant.tenantId);
  const result = await checkWithToken(ctx, tenant, token);
  return { tenantId: tenant.tenantId, ...assessCheck(result, neededBy(tenant)) };
}

/** The live schema check before a tenant is saved: throws what refuses it, returns what to store. */
export async function checkBeforeSaving(
  ctx: ClientContext,
  tenant: TenantSettings,
  token: string,
  acceptSchemaMismatch: boolean,
): Promise<TenantSchemaCheck> {
  const result = await checkWithToken(ctx, tenant, token);
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
    omittedFields: result.omittedFields,
    rateLimit: result.rateLimit,
    subscriptions: result.subscriptions,
  };
}

/**
 * The data types a tenant syncs, `invoices` (every tenant posts), and the create with a file when
 * it attaches invoices' documents: what its check counts.
 */
function neededBy(tenant: TenantSettings): string[] {
  return [
    ...dataTypes.filter((type) => type.enabledFor(tenant.options)).map((type) => type.name),
    POSTING_USER,
    ...(tenant.push ? [PUSH_USER] : []),
    ...(postingSettingsOf(tenant).attachDocument ? [ATTACH_DOCUMENT_USER] : []),
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
