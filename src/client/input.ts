import type { z } from 'zod';
import { tenantIdSchema } from '../tenant';
import { InvalidInputError } from './errors';

/** A tenant id as the API takes it, or InvalidInputError naming `tenantId`. */
export function parseTenantId(tenantId: string): string {
  const parsed = tenantIdSchema.safeParse(tenantId);
  if (!parsed.success)
    throw new InvalidInputError(undefined, [
      { field: 'tenantId', message: parsed.error.issues[0]?.message ?? 'invalid' },
    ]);
  return parsed.data;
}

/**
 * The tenant id, and the input parsed with `schema`; else InvalidInputError naming the field
 * and the tenant.
 */
export function parseTenantInput<S extends z.ZodType>(
  tenantId: string,
  schema: S,
  input: unknown,
): { id: string; data: z.output<S> } {
  const id = parseTenantId(tenantId);
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalid({ tenantId: id }, parsed.error);
  return { id, data: parsed.data };
}

/** zod's issues as an InvalidInputError, each naming its field (and the tenant, when the input names one). */
export function invalid(input: unknown, error: z.ZodError): InvalidInputError {
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
