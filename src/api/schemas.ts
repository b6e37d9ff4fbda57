import { z } from 'zod';
import { dataTypeStateNames } from '../domain/data-type-state';
import { tenantConfigSchema, tenantIdSchema } from '../domain/tenant';

/**
 * Schemas more than one route group shares. Each zod schema here is at once the validation of a
 * request or the shape of an answer and its part of the OpenAPI document (`/openapi.json`):
 * there is no second description to drift. Answers are described loosely where the client API's
 * value is deep and evolving (a run's figures, a schema check's operations): their top-level
 * fields are named, inner objects keep what the client API returns.
 */

/**
 * An object whose named fields are checked and whose other fields pass through as the client API
 * returns them. Typed as a plain object of those fields, so the client's interfaces (which have no
 * index signature) are accepted as answers.
 */
export function open<S extends z.ZodRawShape>(shape: S): z.ZodObject<S> {
  return z.looseObject(shape) as unknown as z.ZodObject<S>;
}

/** Any object, as the client API returns it (a run's figures, a workflow's live status). */
export const anyObject = () => z.looseObject({}) as unknown as z.ZodType<object>;

export const tenantParams = z.object({ tenantId: tenantIdSchema.describe('The tenant id') });

/** A stored tenant as answers show it: its settings, without the token or the webhook secret. */
const tenantShape = tenantConfigSchema.shape;
export const tenantSettingsSchema = open({
  tenantId: z.string(),
  xledger: z.object({ endpoint: z.string() }).describe('The token is write-only: never returned'),
  entityOwnerDbId: z.number().int(),
  options: open(tenantShape.options.unwrap().shape),
  intervalMinutes: z.partialRecord(z.string(), z.number()),
  fullPassIntervalHours: z.number(),
  maxDeletionShare: z.number(),
  posting: anyObject().optional(),
  webhook: z.object({ url: z.string() }).optional().describe('The secret is write-only: never returned'),
});

export const tenantStateNameSchema = z.enum(dataTypeStateNames);

export const tenantStateViewSchema = open({
  state: tenantStateNameSchema,
  dataTypes: z.record(z.string(), tenantStateNameSchema),
  needsAttention: open({ reason: z.string(), advice: z.string() }).nullable(),
  lastRecovery: anyObject().nullable(),
  onboardedAt: z.string().nullable(),
  readyAt: z.string().nullable(),
});

/** A resync as forceResync hands it back: follow it with GET …/resyncs/{requestId}. */
export const resyncTicketSchema = z.object({
  tenantId: z.string(),
  requestId: z.string(),
  dataTypes: z.array(z.string()),
  ignored: z.array(z.string()),
  full: z.boolean(),
  runs: z.array(z.object({ dataType: z.string(), workflowId: z.string(), runId: z.string() })),
  waiting: z.array(z.string()),
  needsAttention: anyObject().nullable(),
});

/** A live schema check of Xledger (before onboarding, or of a stored tenant). */
export const schemaCheckReportSchema = open({
  ok: z.boolean(),
  problems: z.array(z.string()),
  neededBy: z.array(z.string()).nullable(),
  operations: z.array(open({ name: z.string(), ok: z.boolean() })),
});

/** RFC 9457 problem details: every error answer (`application/problem+json`). */
export const problemSchema = z
  .looseObject({
    type: z.string().describe('A URI naming the kind of problem'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional().describe('The request path'),
    requestId: z.string().optional(),
    tenantId: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('Invalid input: each field and what is wrong with it'),
  })
  .meta({ id: 'Problem' });

/** A problem answer as a route's response entry: RFC 9457's own media type. */
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `errors` names each field (nothing was written)',
  401: 'No API key, or one that is unknown or revoked',
  403: "The key's scope or tenants do not cover this request",
  404: 'No such tenant (or invoice, event, resync)',
  409: 'A conflict with what is stored (an invoice id with other content; open invoices)',
  422: 'Xledger refused the token, or the operations the tenant needs do not fit its schema',
  429: "The key's rate limit (Retry-After says when to try again)",
  500: 'An internal error (the log has it under the request id)',
  503: 'Temporal or MongoDB did not answer in time',
};

/** The problem answers of a route: the ones every route may give, and `statuses`. */
export function problems(...statuses: number[]): Record<number, ReturnType<typeof problemResponse>> {
  const all = [...new Set([400, 401, 403, 429, 500, 503, ...statuses])].sort();
  return Object.fromEntries(
    all.map((status) => [status, problemResponse(PROBLEM_DESCRIPTIONS[status] ?? 'A problem')]),
  );
}
