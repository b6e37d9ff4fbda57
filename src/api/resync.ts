import { z } from 'zod';
import { dataTypeNameSchema } from '../client/events';
import { InvalidInputError } from '../client';
import type { ApiRoutes } from './plugin';
import { HttpProblem } from './problem';
import { anyObject, open, problems, resyncTicketSchema, tenantParams } from './schemas';

/** Resyncs: ask for one (a ticket naming the runs that took it), then follow its progress. */

const tags = ['resyncs'];

const resyncBody = z
  .object({
    dataTypes: z.array(dataTypeNameSchema).optional().describe('Default: every enabled data type'),
    full: z.boolean().optional().describe('Read Xledger whole (and reconcile deletions)'),
    allowMassDelete: z
      .boolean()
      .optional()
      .describe('Let this full pass apply deletions the guard held back'),
    waitForRunsMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .optional()
      .describe('How long to wait for the runs to start (default TEMPORAL_TIMEOUT_MS; 0: not at all)'),
  })
  .strict();

const progressSchema = open({
  tenantId: z.string(),
  requestId: z.string(),
  dataTypes: z.array(
    open({
      dataType: z.string(),
      state: z.enum(['waiting', 'running', 'completed', 'needs_review', 'skipped', 'failed']),
      run: z.object({ dataType: z.string(), workflowId: z.string(), runId: z.string() }).nullable(),
      current: open({ stream: z.string() }).nullable(),
      summary: anyObject().nullable(),
      failure: z.string().nullable(),
    }),
  ),
  needsAttention: anyObject().nullable(),
  done: z.boolean(),
  failed: z.boolean(),
});

export const resyncRoutes: ApiRoutes = async (app, { client }) => {
  app.post('/v1/tenants/:tenantId/resyncs', {
    config: { scope: 'write' },
    schema: {
      operationId: 'forceResync',
      summary: 'Resync now: the ticket names the runs that took the request',
      tags,
      params: tenantParams,
      body: resyncBody.optional(),
      response: { 202: resyncTicketSchema, ...problems(404) },
    },
    handler: async (request, reply) => {
      const ticket = await client.forceResync(request.params.tenantId, request.body ?? {});
      return reply.status(202).send(ticket);
    },
  });

  app.get('/v1/tenants/:tenantId/resyncs/:requestId', {
    config: { scope: 'read' },
    schema: {
      operationId: 'resyncProgress',
      summary: 'Where the runs of a resync stand: records so far, then figures or the failure',
      tags,
      params: tenantParams.extend({ requestId: z.string().min(1).max(100) }),
      response: { 200: progressSchema, ...problems(404) },
    },
    handler: async (request) => {
      const { tenantId, requestId } = request.params;
      try {
        return await client.resyncProgress(tenantId, requestId);
      } catch (error) {
        // The client names the requestId as invalid input; over HTTP an id that names nothing is a 404.
        if (error instanceof InvalidInputError && error.issues.some((issue) => issue.field === 'requestId')) {
          throw new HttpProblem(404, 'unknown-resync', 'Unknown resync', error.message);
        }
        throw error;
      }
    },
  });
};
