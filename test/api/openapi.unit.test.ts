/**
 * The OpenAPI document, made from the routes' zod schemas without any server: it lints clean
 * under Redocly's recommended rules (errors and warnings alike), and the slim client's generated
 * files (clients/http/openapi.json, openapi.d.ts) are exactly what the current routes produce —
 * a route changed without `npm run generate:http-client` fails here.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_FILES, httpClientFiles } from '../../scripts/http-client-files';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let files: { document: string; types: string };

beforeAll(async () => {
  files = await httpClientFiles();
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and lints clean under the recommended rules', async () => {
    const document = JSON.parse(files.document) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: files.document, absoluteRef: 'openapi.json', config });
    expect(
      problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} (${p.location[0]?.pointer ?? ''})`),
    ).toEqual([]);
  });

  it('names every operation of the client API it mirrors, each with a key', () => {
    const document = JSON.parse(files.document) as {
      paths: Record<string, Record<string, { operationId: string; security?: unknown }>>;
      security: unknown;
    };
    const operations = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods).map((operation) => operation.operationId),
    );
    expect(operations.sort()).toEqual(
      [
        'changes',
        'checkTenant',
        'checkXledger',
        'forceResync',
        'invoiceStatus',
        'listEvents',
        'listTenants',
        'pauseTenant',
        'redeliverEvent',
        'removeTenant',
        'resumeTenant',
        'resyncProgress',
        'skipEvent',
        'submitInvoice',
        'tenantStatus',
        'upsertTenant',
      ].sort(),
    );
    expect(document.security).toEqual([{ apiKey: [] }]);
  });

  it('describes the token and webhook secret as write-only: in the upsert body, in no answer', () => {
    const document = JSON.parse(files.document) as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };
    const upsert = document.paths['/v1/tenants/{tenantId}']!.put!;
    expect(JSON.stringify(upsert.requestBody)).toContain('"token"');
    for (const methods of Object.values(document.paths)) {
      for (const operation of Object.values(methods)) {
        expect(JSON.stringify(operation.responses)).not.toMatch(/"(token|secret)"/);
      }
    }
  });

  it('is what the slim client was generated from (npm run generate:http-client)', async () => {
    expect(await readFile(`${repoRoot}${GENERATED_FILES.document}`, 'utf8')).toBe(files.document);
    expect(await readFile(`${repoRoot}${GENERATED_FILES.types}`, 'utf8')).toBe(files.types);
  });
});
