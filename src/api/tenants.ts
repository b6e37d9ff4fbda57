import { z } from 'zod';
import { UnknownTenantError, type ListTenantsFilter } from '../client';
import type { TenantConfigInput } from '../domain/tenant';
import { tenantConfigSchema } from '../domain/tenant';
import { authorize, reaches } from './auth';
import type { ApiRoutes } from './plugin';
import {
  anyObject,
  open,
  problems,
  schemaCheckReportSchema,
  resyncTicketSchema,
  tenantParams,
  tenantSettingsSchema,
  tenantStateNameSchema,
  tenantStateViewSchema,
} from './schemas';

/**
 * Tenants: upsert (the token and webhook secret write-only), list with a state filter, status,
 * the live schema check, pause, resume, remove. Creating or removing a tenant needs an admin key;
 * changing one a write key that reaches it.
 */

const tags = ['tenants'];
/** A yes/no query parameter: `true` or `false`, nothing else (a typo is a 400, not a silent no). */
const flag = z
  .enum(['true', 'false'])
  .optional()
  .transform((value) => (value === undefined ? undefined : value === 'true'));

const upsertBody = tenantConfigSchema
  .omit({ tenantId: true })
  .describe('The tenant config (README, "A tenant")');

const upsertedSchema = tenantSettingsSchema.extend({
  schemaCheck: open({ outcome: z.string(), warnings: z.array(z.string()) }),
  firstSync: resyncTicketSchema.nullable(),
  recovered: anyObject().nullable(),
});

const listedSchema = tenantSettingsSchema.extend({ state: tenantStateViewSchema });

const statusSchema = open({
  tenant: tenantSettingsSchema,
  paused: z.boolean(),
  dataTypes: z.array(
    open({
      dataType: z.string(),
      state: tenantStateNameSchema.nullable(),
      intervalMinutes: z.number(),
      paused: z.boolean(),
      nextRunAt: z.string().nullable(),
      runningNow: z.boolean(),
      lastError: z.string().nullable(),
    }),
  ),
  invoices: z.record(z.string(), z.number()),
  workflow: anyObject().nullable(),
  schemaCheck: anyObject().nullable(),
  state: tenantStateViewSchema,
  cost: anyObject(),
  credits: anyObject().nullable().describe("The token's credit pool; null without the encryption key"),
  push: anyObject().nullable().describe('Push from Xledger: its webhooks and the data types pushed'),
});

export const tenantRoutes: ApiRoutes = async (app, { client }) => {
  app.get('/v1/tenants', {
    config: { scope: 'read' },
    schema: {
      operationId: 'listTenants',
      summary: 'Every tenant the key reaches, with its state',
      tags,
      querystring: z.object({
        state: z
          .string()
          .optional()
          .describe('Only tenants where it or a data type is in one of these states, comma-separated'),
      }),
      response: { 200: z.object({ tenants: z.array(listedSchema) }), ...problems() },
    },
    handler: async (request) => {
      const key = authorize(request, 'read');
      // The client checks the state names (a 400 naming `state`), as it does for any caller.
      const filter = request.query.state ? { state: request.query.state as ListTenantsFilter['state'] } : {};
      const listed = await client.listTenants(filter);
      return { tenants: listed.filter((tenant) => reaches(key, tenant.tenantId)) };
    },
  });

  app.put('/v1/tenants/:tenantId', {
    config: { scope: 'write' },
    schema: {
      operationId: 'upsertTenant',
      summary: 'Onboard or change a tenant (runs the live schema check; a new one starts its first sync)',
      description: 'Creating a tenant needs an admin key; changing one, a write key that reaches it.',
      tags,
      params: tenantParams,
      querystring: z.object({
        acceptSchemaMismatch: flag.describe("Save despite operations that do not fit Xledger's schema"),
        firstSync: flag.describe("A new tenant's first full sync at once (default true)"),
      }),
      body: upsertBody,
      response: { 200: upsertedSchema, ...problems(404, 422) },
    },
    handler: async (request) => {
      const { tenantId } = request.params;
      const exists = await client.getTenant(tenantId).then(
        () => true,
        (error: unknown) => {
          if (error instanceof UnknownTenantError) return false;
          throw error;
        },
      );
      if (!exists) authorize(request, 'admin', tenantId);
      const { acceptSchemaMismatch, firstSync } = request.query;
      return client.upsertTenant(
        // The body as sent: the client validates it again (and the endpoint and webhook policies).
        { ...(request.sentBody as object), tenantId } as TenantConfigInput,
        {
          ...(acceptSchemaMismatch !== undefined ? { acceptSchemaMismatch } : {}),
          ...(firstSync !== undefined ? { firstSync } : {}),
        },
      );
    },
  });

  app.get('/v1/tenants/:tenantId', {
    config: { scope: 'read' },
    schema: {
      operationId: 'tenantStatus',
      summary: 'State per data type, schedules, last runs, failures, invoices, cost',
      tags,
      params: tenantParams,
      response: { 200: statusSchema, ...problems(404) },
    },
    handler: async (request) => client.tenantStatus(request.params.tenantId),
  });

  app.post('/v1/tenants/:tenantId/check', {
    config: { scope: 'write' },
    schema: {
      operationId: 'checkTenant',
      summary: "The live schema check with the tenant's stored token (spends Xledger requests)",
      tags,
      params: tenantParams,
      response: { 200: schemaCheckReportSchema.extend({ tenantId: z.string() }), ...problems(404, 422) },
    },
    handler: async (request) => client.checkTenant(request.params.tenantId),
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post(`/v1/tenants/:tenantId/${action}`, {
      config: { scope: 'write' },
      schema: {
        operationId: `${action}Tenant`,
        summary:
          action === 'pause'
            ? "Pause the tenant's schedules"
            : 'Resume the schedules (also ends a needs-attention state)',
        tags,
        params: tenantParams,
        response: { 204: z.undefined().describe('Done'), ...problems(404) },
      },
      handler: async (request, reply) => {
        const { tenantId } = request.params;
        await (action === 'pause' ? client.pauseTenant(tenantId) : client.resumeTenant(tenantId));
        return reply.status(204).send();
      },
    });
  }

  app.delete('/v1/tenants/:tenantId', {
    config: { scope: 'admin' },
    schema: {
      operationId: 'removeTenant',
      summary: 'Remove a tenant: its schedules, workflow and runs; purge also deletes its data',
      tags,
      params: tenantParams,
      querystring: z.object({
        purge: flag.describe('Also delete every document of the tenant'),
        force: flag.describe('Even with invoices still on their way (ends their posting)'),
      }),
      response: { 204: z.undefined().describe('Removed'), ...problems(404, 409) },
    },
    handler: async (request, reply) => {
      const { purge, force } = request.query;
      await client.removeTenant(request.params.tenantId, {
        ...(purge !== undefined ? { purge } : {}),
        ...(force !== undefined ? { force } : {}),
      });
      return reply.status(204).send();
    },
  });
};
