import type { z } from 'zod';
import type { Config } from '../config';
import { invoiceSchema, type Invoice } from '../invoices/invoice';
import { webhookEndpointProblem } from '../security/webhook-policy';
import { endpointProblem } from '../security/endpoint-policy';
import { tenantConfigSchema, tenantIdSchema, type TenantConfig } from '../domain/tenant';
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
  // Only a well-formed tenant id is repeated: a hostile one (huge, control characters) is not.
  const given = (input as { tenantId?: unknown } | null | undefined)?.tenantId;
  const tenantId = tenantIdSchema.safeParse(given).success ? (given as string) : undefined;
  return new InvalidInputError(
    tenantId,
    // zod messages name the problem, never the value, so a mistyped token is not echoed back.
    error.issues.map((issue) => ({
      field: issue.path.map(String).join('.') || '(input)',
      message: issue.message,
    })),
  );
}

/**
 * A tenant config validated completely, before any server is contacted: its shape (zod), and
 * that its Xledger endpoint — its own, or the default it would get — may receive its token
 * (src/security/endpoint-policy.ts). InvalidInputError names each field and the tenant.
 */
export function validateTenantConfig(
  input: unknown,
  config: Pick<Config, 'xledger' | 'webhooks'> & Partial<Pick<Config, 'push'>>,
): TenantConfig {
  const parsed = tenantConfigSchema.safeParse(input);
  if (!parsed.success) throw invalid(input, parsed.error);
  // Xledger must be told where to deliver: without a public base URL push cannot be registered.
  if (parsed.data.push && !config.push?.publicBaseUrl) {
    throw new InvalidInputError(parsed.data.tenantId, [
      {
        field: 'push',
        message: 'needs PUSH_PUBLIC_BASE_URL, the public URL Xledger delivers to, configured',
      },
    ]);
  }
  // Its webhook, if any, must be a URL events may be sent to (src/security/webhook-policy.ts).
  const webhookProblem =
    parsed.data.webhook && webhookEndpointProblem(parsed.data.webhook.url, config.webhooks.policy);
  if (webhookProblem) {
    throw new InvalidInputError(parsed.data.tenantId, [{ field: 'webhook.url', message: webhookProblem }]);
  }
  const endpoint = parsed.data.xledger.endpoint ?? config.xledger.defaultEndpoint;
  const problem = endpointProblem(endpoint, config.xledger.endpointPolicy);
  if (problem) {
    const field = parsed.data.xledger.endpoint
      ? 'xledger.endpoint'
      : 'xledger.endpoint (default XLEDGER_ENDPOINT)';
    throw new InvalidInputError(parsed.data.tenantId, [{ field, message: problem }]);
  }
  return parsed.data;
}

/** An invoice submission validated completely, before any server is contacted. */
export function validateInvoiceSubmission(
  tenantId: string,
  input: unknown,
): { tenantId: string; invoice: Invoice } {
  const { id, data } = parseTenantInput(tenantId, invoiceSchema, input);
  return { tenantId: id, invoice: data };
}
