/**
 * The one error handler's map from the client API's typed errors to RFC 9457 problems, for the
 * errors the server tests cannot provoke at will (Temporal or MongoDB not answering, Xledger
 * refusing, open invoices) and for what must never reach a caller (an unexpected error's message).
 */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { problemOf } from '../../src/api/problem';
import {
  InvalidInputError,
  InvoiceConflictError,
  SchemaMismatchError,
  ServiceUnavailableError,
  TenantHasOpenInvoicesError,
  UnknownInvoiceError,
  UnknownTenantError,
  XledgerRefusedError,
} from '../../src/client';

const request = {
  url: '/v1/tenants/acme?purge=true',
  id: 'req-1',
  params: { tenantId: 'acme' },
} as unknown as FastifyRequest;

describe('problem details', () => {
  it('map each typed error of the client API to its status and kind, with the request named', () => {
    const cases: Array<[Error, number, string]> = [
      [
        new InvalidInputError('acme', [{ field: 'entityOwnerDbId', message: 'must be positive' }]),
        400,
        'invalid-input',
      ],
      [new UnknownTenantError('acme'), 404, 'unknown-tenant'],
      [new UnknownInvoiceError('acme', 'INV-1'), 404, 'unknown-invoice'],
      [new InvoiceConflictError('acme', 'INV-1'), 409, 'invoice-conflict'],
      [new TenantHasOpenInvoicesError('acme', 2), 409, 'open-invoices'],
      [new XledgerRefusedError('Xledger refused the token of tenant acme'), 422, 'xledger-refused'],
      [new SchemaMismatchError('acme', []), 422, 'schema-mismatch'],
      [
        new ServiceUnavailableError('MongoDB at mongodb://db did not answer within 15 s'),
        503,
        'service-unavailable',
      ],
    ];
    for (const [error, status, kind] of cases) {
      expect(problemOf(error, request), error.name).toMatchObject({
        type: `urn:xledger-sync:problem:${kind}`,
        status,
        detail: error.message,
        instance: '/v1/tenants/acme',
        requestId: 'req-1',
      });
    }
    expect(problemOf(cases[0]![0], request)).toMatchObject({
      tenantId: 'acme',
      errors: [{ field: 'entityOwnerDbId', message: 'must be positive' }],
    });
  });

  it('never pass on an unexpected error, nor the text of a body that is not JSON', () => {
    const internal = problemOf(new Error('connection string mongodb://user:pw@db failed'), request);
    expect(internal).toMatchObject({ status: 500, type: 'urn:xledger-sync:problem:internal' });
    expect(JSON.stringify(internal)).not.toContain('pw@db');
    expect(internal.detail).toContain('req-1');
    const syntax = Object.assign(
      new SyntaxError('Unexpected token, "{"token":"xlsim-secret" is not valid JSON'),
      {
        statusCode: 400,
      },
    );
    const refused = problemOf(syntax, request);
    expect(refused).toMatchObject({ status: 400, detail: 'the body is not valid JSON' });
    expect(JSON.stringify(refused)).not.toContain('xlsim-secret');
  });
});
