import { z } from 'zod';
import { eventTypes } from '../domain/event-catalogue';
import { deliveryStates } from '../store/events';
import { skipEventOptionsSchema } from '../client/events';
import { authorize } from './auth';
import type { ApiRoutes } from './plugin';
import { anyObject, problems, tenantParams } from './schemas';

/** What SEMINE was told: a tenant's events with their delivery, and sending one again. */

const tags = ['events'];

const eventListSchema = z.object({
  tenantId: z.string(),
  events: z.array(
    z.object({
      id: z.string().describe('As delivered: the payload id and the webhook-id header'),
      seq: z.number().int(),
      type: z.enum(eventTypes),
      occurredAt: z.string(),
      recordedAt: z.string(),
      data: anyObject().describe('The event\'s payload data (README, "The payloads")'),
      delivery: z.object({
        state: z.enum(deliveryStates),
        attempts: z.number().int(),
        lastError: z.string().nullable(),
        lastAttemptAt: z.string().nullable(),
        deliveredAt: z.string().nullable(),
      }),
    }),
  ),
  recorded: z.number().int().describe("The tenant's last seq"),
  delivered: z.number().int().describe('The seq delivery has passed'),
});

const skipSchema = z.object({
  tenantId: z.string(),
  eventId: z.string(),
  seq: z.number().int(),
  skipped: z.boolean().describe('false: it was skipped already (by, at: that skip)'),
  by: z.string(),
  at: z.string(),
  reason: z.string().nullable(),
});

const redeliverySchema = z.object({
  tenantId: z.string(),
  eventId: z.string(),
  seq: z.number().int(),
  queued: z.boolean().describe('false: not reached yet; it goes out in its turn anyway'),
});

export const eventRoutes: ApiRoutes = async (app, { client }) => {
  app.get('/v1/tenants/:tenantId/events', {
    config: { scope: 'read' },
    schema: {
      operationId: 'listEvents',
      summary: "The tenant's newest events (or those after a seq), with their delivery",
      tags,
      params: tenantParams,
      querystring: z.object({
        after: z.coerce.number().int().nonnegative().optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
      }),
      response: { 200: eventListSchema, ...problems(404) },
    },
    handler: async (request) => {
      const { after, limit } = request.query;
      return client.listEvents(request.params.tenantId, {
        ...(after !== undefined ? { after } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    },
  });

  app.post('/v1/tenants/:tenantId/events/:eventId/redeliver', {
    config: { scope: 'write' },
    schema: {
      operationId: 'redeliverEvent',
      summary: 'Send one event again (same webhook-id)',
      tags,
      params: tenantParams.extend({ eventId: z.string().min(1).max(300) }),
      response: { 202: redeliverySchema, ...problems(404) },
    },
    handler: async (request, reply) =>
      reply.status(202).send(await client.redeliverEvent(request.params.tenantId, request.params.eventId)),
  });

  app.post('/v1/tenants/:tenantId/events/:eventId/skip', {
    config: { scope: 'write' },
    schema: {
      operationId: 'skipEvent',
      summary:
        "Stop delivering one pending event (a receiver keeps refusing it) so the tenant's later events go",
      description: 'Recorded with who and why; a redelivery can still send it. 400 for an event not waiting.',
      tags,
      params: tenantParams.extend({ eventId: z.string().min(1).max(300) }),
      // The client's options (skipEventOptionsSchema) without its default `by`: here it names the key.
      // The client's own options: here `by` defaults to the key that skips it.
      body: skipEventOptionsSchema.optional(),
      response: { 200: skipSchema, ...problems(404) },
    },
    handler: async (request) =>
      client.skipEvent(request.params.tenantId, request.params.eventId, {
        // Who skipped it defaults to the key, so the record says which key did.
        by: request.body?.by ?? `HTTP API key ${authorize(request, 'write', request.params.tenantId).id}`,
        ...(request.body?.reason !== undefined ? { reason: request.body.reason } : {}),
      }),
  });
};
