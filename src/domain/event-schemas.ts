import { z } from 'zod';
import { eventTypes, type EventPayloads, type EventType } from './event-catalogue';

/**
 * The event payloads of the catalogue (event-catalogue.ts) as zod schemas, from which the build
 * writes one JSON Schema per event type into the package (`@semine/xledger-sync/schemas/events/
 * <type>.json`, scripts/build.ts) for receivers in other languages. Kept apart from the
 * catalogue, which workflows import and which stays plain types; the check at the end of this
 * file fails to compile when a schema and its catalogue type differ either way.
 */
const isoTime = z.iso.datetime({ offset: true });
const xledgerIds = z.object({
  transactionDbId: z.number().int().nullable(),
  lineDbIds: z.array(z.number().int()),
});

export const eventPayloadSchemas = {
  'sync.completed': z.object({
    dataType: z.string(),
    mode: z.enum(['incremental', 'full']),
    status: z.enum(['completed', 'needs_review']),
    counts: z.object({
      inserted: z.number().int(),
      updated: z.number().int(),
      deleted: z.number().int(),
      rejected: z.number().int(),
    }),
    workflowId: z.string(),
    runId: z.string(),
    startedAt: isoTime,
    finishedAt: isoTime,
    changes: z.object({ through: z.number().int() }),
  }),
  'sync.failed': z.object({
    dataType: z.string(),
    kind: z.enum(['auth', 'scope', 'credits', 'exhausted_retries']),
    message: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    failedAt: isoTime,
  }),
  'tenant.needs_attention': z.object({
    reason: z.enum([
      'token_revoked',
      'token_expired',
      'scope_missing',
      'owner_not_visible',
      'invoice_duplicated',
      'webhook_gone',
    ]),
    message: z.string(),
    dataType: z.string(),
  }),
  'tenant.recovered': z.object({ cause: z.enum(['token_replaced', 'resumed']) }),
  'tenant.ready': z.object({ dataTypes: z.array(z.string()) }),
  'invoice.posted': z.object({ invoiceId: z.string(), xledger: xledgerIds, postedAt: isoTime }),
  'invoice.rejected': z.object({ invoiceId: z.string(), reasons: z.array(z.string()), rejectedAt: isoTime }),
  'invoice.duplicated': z.object({
    invoiceId: z.string(),
    message: z.string(),
    copies: z.array(
      z.object({ apTransactionDbId: z.number().int(), transactionDbId: z.number().int().nullable() }),
    ),
    foundAt: isoTime,
  }),
  'invoice.needs_attention': z.object({
    invoiceId: z.string(),
    reason: z.literal('unresolved'),
    message: z.string(),
    xledger: xledgerIds,
    since: isoTime,
  }),
} satisfies { [T in EventType]: z.ZodType };

/** A delivery's body for one type: `{ id, type, tenantId, seq, timestamp, data }`. */
export function eventEnvelopeSchema<T extends EventType>(type: T) {
  return z.object({
    id: z.string().regex(/^evt_[A-Za-z0-9_-]+$/),
    type: z.literal(type),
    tenantId: z.string().min(1),
    seq: z.number().int().positive(),
    timestamp: isoTime,
    data: eventPayloadSchemas[type],
  });
}

/** One JSON Schema (draft 2020-12) per event type, as the package publishes them. */
export function eventJsonSchemas(): Record<EventType, Record<string, unknown>> {
  return Object.fromEntries(
    eventTypes.map((type) => [
      type,
      {
        ...(z.toJSONSchema(eventEnvelopeSchema(type), { target: 'draft-2020-12' }) as Record<
          string,
          unknown
        >),
        $id: `https://semine.no/xledger-sync/schemas/events/${type}.json`,
        title: `xledger-sync ${type} event`,
      },
    ]),
  ) as unknown as Record<EventType, Record<string, unknown>>;
}

// The schemas and the catalogue's types agree, both ways (a compile error otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: { [T in EventType]: Same<z.output<(typeof eventPayloadSchemas)[T]>, EventPayloads[T]> } = {
  'sync.completed': true,
  'sync.failed': true,
  'tenant.needs_attention': true,
  'tenant.recovered': true,
  'tenant.ready': true,
  'invoice.posted': true,
  'invoice.rejected': true,
  'invoice.duplicated': true,
  'invoice.needs_attention': true,
};
void agree;
