import type { StreamDefinition } from '../datatypes/stream';
import type { TenantStore } from '../store/tenants';
import { XledgerError } from '../xledger/errors';

/**
 * Xledger's schema can lose a field after the tenant was checked. When a pass's request is
 * refused because an optional field of its stream is not in the schema (graphql-js's
 * `Cannot query field "X" on type "T".`), the field is recorded with the tenant's other omitted
 * fields and the attempt fails as retryable: the next attempt reads without it
 * (src/datatypes/optional-fields.ts). Any other error, and a required field, go up unchanged.
 */
export async function leaveOutRefusedField(
  tenants: TenantStore,
  tenantId: string,
  stream: StreamDefinition,
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof XledgerError) || error.kind !== 'invalid_request') return error;
  const field = /Cannot query field "(\w+)" on type/.exec(error.message)?.[1];
  if (!field || !(field in (stream.optionalFields ?? {}))) return error;
  await tenants.addOmittedField(tenantId, { stream: stream.name, field });
  return new XledgerError(
    'transient',
    `Xledger's schema no longer has the optional field ${stream.name}.${field}: it is left out from now on`,
    { code: error.details.code ?? '', retryAfterMs: 1_000 },
  );
}
