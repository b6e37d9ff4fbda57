import { z } from 'zod';
import { dataTypeNameSchema } from '../client/events';
import type { ApiRoutes } from './plugin';
import { problems, tenantParams } from './schemas';

/** The change feed: a data type's records changed after a cursor, and the next cursor. */

const pageSchema = z.object({
  tenantId: z.string(),
  dataType: z.string(),
  changes: z.array(
    z.object({
      stream: z.string(),
      collection: z.string(),
      changeSeq: z.number().int(),
      deleted: z.boolean(),
      record: z.record(z.string(), z.unknown()).describe('The stored record (deleted ones with deletedAt)'),
    }),
  ),
  next: z.number().int().describe('Pass as `after` to read on'),
  hasMore: z.boolean(),
  head: z.number().int().describe('The newest readable position'),
});

export const changeRoutes: ApiRoutes = async (app, { client }) => {
  app.get('/v1/tenants/:tenantId/changes/:dataType', {
    config: { scope: 'read' },
    schema: {
      operationId: 'changes',
      summary: "The change feed of a tenant's data type after a cursor",
      tags: ['changes'],
      params: tenantParams.extend({ dataType: dataTypeNameSchema }),
      querystring: z.object({
        after: z.coerce
          .number()
          .int()
          .nonnegative()
          .optional()
          .describe('The cursor (`next` of the last page)'),
        limit: z.coerce.number().int().min(1).max(10_000).optional(),
      }),
      response: { 200: pageSchema, ...problems(404) },
    },
    handler: async (request) => {
      const { after, limit } = request.query;
      const page = await client.changes(request.params.tenantId, request.params.dataType, {
        ...(after !== undefined ? { after } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      // Typed per data type in the client; the document describes a record as any object.
      return page as unknown as z.output<typeof pageSchema>;
    },
  });
};
