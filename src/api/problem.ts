import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import {
  InvalidInputError,
  InvoiceConflictError,
  SchemaMismatchError,
  ServiceUnavailableError,
  TenantHasOpenInvoicesError,
  UnknownEventError,
  UnknownInvoiceError,
  UnknownTenantError,
  XledgerRefusedError,
} from '../client';

/**
 * Every error answer of the API is an RFC 9457 problem (`application/problem+json`), made here
 * and nowhere else: the client API's typed errors by class, request validation by zod (each
 * field named), the key checks (HttpProblem) and fastify's own refusals. Anything else is a 500
 * whose detail says only to look in the log under the request id: an unexpected error's message
 * may hold what must not leave the service.
 */

/** Problem types are URNs: stable names, documented in the README (HTTP API, problem details). */
export const PROBLEM_TYPE_BASE = 'urn:xledger-sync:problem:';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  tenantId?: string;
  errors?: Array<{ field: string; message: string }>;
  [extension: string]: unknown;
}

/** An error the API's own layers raise with its answer decided (the key checks, the rate limit). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/** The client API's errors by class: status, the type's slug, the title. */
const BY_CLASS: Array<[new (...args: never[]) => Error, number, string, string]> = [
  [InvalidInputError, 400, 'invalid-input', 'Invalid input'],
  [UnknownTenantError, 404, 'unknown-tenant', 'Unknown tenant'],
  [UnknownInvoiceError, 404, 'unknown-invoice', 'Unknown invoice'],
  [UnknownEventError, 404, 'unknown-event', 'Unknown event'],
  [InvoiceConflictError, 409, 'invoice-conflict', 'Invoice conflict'],
  [TenantHasOpenInvoicesError, 409, 'open-invoices', 'The tenant has open invoices'],
  [XledgerRefusedError, 422, 'xledger-refused', 'Xledger refused the token'],
  [SchemaMismatchError, 422, 'schema-mismatch', "Operations do not fit Xledger's schema"],
  [ServiceUnavailableError, 503, 'service-unavailable', 'Service unavailable'],
];

export function problemOf(error: unknown, request: FastifyRequest): Problem {
  const base = { instance: request.url.split('?')[0], requestId: request.id };
  const problem = (status: number, slug: string, title: string, detail?: string): Problem => ({
    type: `${PROBLEM_TYPE_BASE}${slug}`,
    title,
    status,
    ...(detail !== undefined ? { detail } : {}),
    ...base,
  });
  if (error instanceof HttpProblem) return problem(error.status, error.slug, error.title, error.message);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as FastifyError).validationContext;
    const errors = error.validation.flatMap(({ instancePath, keyword, message, params }) => {
      const path = instancePath.split('/').filter(Boolean);
      const keys = (params as { keys?: unknown }).keys;
      // An unknown key's issue sits on its parent: name the key itself.
      const fields =
        keyword === 'unrecognized_keys' && Array.isArray(keys)
          ? keys.map((k) => [...path, String(k)])
          : [path];
      return fields.map((field) => ({
        field: field.join('.') || `(${where ?? 'input'})`,
        message: message ?? 'invalid',
      }));
    });
    const tenantId = (request.params as { tenantId?: unknown } | undefined)?.tenantId;
    return {
      ...problem(
        400,
        'invalid-input',
        'Invalid input',
        errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      ),
      ...(typeof tenantId === 'string' && where !== 'params' ? { tenantId } : {}),
      errors,
    };
  }
  if (isResponseSerializationError(error))
    return problem(500, 'internal', 'Internal error', logHint(request));
  for (const [type, status, slug, title] of BY_CLASS) {
    if (!(error instanceof type)) continue;
    const found = problem(status, slug, title, error.message);
    if (error instanceof InvalidInputError) {
      return { ...found, ...(error.tenantId ? { tenantId: error.tenantId } : {}), errors: error.issues };
    }
    if (error instanceof SchemaMismatchError)
      return { ...found, tenantId: error.tenantId, mismatches: error.mismatches };
    const tenantId = (error as { tenantId?: unknown }).tenantId;
    return typeof tenantId === 'string' ? { ...found, tenantId } : found;
  }
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // fastify's own refusals (a body that is not JSON, too large, of an unknown type). A JSON
    // syntax error's message quotes the body, which may hold a token: never pass it on.
    const detail = error instanceof SyntaxError ? 'the body is not valid JSON' : (error as Error).message;
    return problem(status, 'request', 'Bad request', detail);
  }
  return problem(500, 'internal', 'Internal error', logHint(request));
}

const logHint = (request: FastifyRequest) =>
  `an internal error; the service log has it under request id ${request.id}`;

/** The one error handler: logs what is the service's fault, answers a problem. */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = problemOf(error, request);
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  if (error instanceof HttpProblem) void reply.headers(error.headers);
  if (error instanceof ServiceUnavailableError) void reply.header('retry-after', '5');
  return reply.status(problem.status).type('application/problem+json').send(problem);
}
