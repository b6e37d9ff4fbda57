/**
 * The events API behind XledgerSyncClient (listEvents, redeliverEvent, changes): what SEMINE
 * was told, sending one event again, and the change feed. Every input is validated before a
 * server is asked anything.
 */
import { z } from 'zod';
import { XledgerSyncError } from '../errors';
import { InvalidInputError } from './errors';
import { starterOf, type ClientContext } from './context';
import { invalid, parseTenantId } from './input';
import { DATA_TYPES, masterDataTypeNames, type DataType } from '../domain/data-types';
import type { EventType } from '../domain/event-catalogue';
import { signalSkippedEvent, wakeDelivery } from '../temporal/starters';
import { claimSkip, readSkip, skipNote } from '../store/event-skips';
import { storedIdOf, webhookIdOf } from '../events/webhook-id';
import { readChanges, type ChangesRead } from '../store/changes';
import {
  eventPositions,
  findEvent,
  listEvents as listStoredEvents,
  setDeliveryState,
  type DeliveryState,
  type StoredEvent,
} from '../store/events';

export class UnknownEventError extends XledgerSyncError {
  override name = 'UnknownEventError';
  constructor(
    readonly tenantId: string,
    readonly eventId: string,
  ) {
    super(`Tenant ${tenantId} has no event "${eventId}"`);
  }
}

export const eventListOptionsSchema = z
  .object({
    /** Events with a seq after this one (oldest first); absent: the newest `limit`. */
    after: z.number().int().nonnegative().optional(),
    limit: z.number().int().min(1).max(1000).default(50),
  })
  .strict();
export type EventListOptions = z.input<typeof eventListOptionsSchema>;

export const dataTypeNameSchema = z.enum(DATA_TYPES, {
  error: (issue) =>
    `unknown data type ${JSON.stringify(issue.input)} (known: ${masterDataTypeNames.join(', ')})`,
});

/** The change feed's input: `client.changes(tenantId, dataType, { after, limit })`. */
export const changesInputSchema = z
  .object({
    dataType: dataTypeNameSchema,
    /** The cursor: `next` of the previous page (or `changes.through` of a sync.completed); 0 = from the start. */
    after: z.number().int().nonnegative().default(0),
    limit: z.number().int().min(1).max(10_000).default(1000),
  })
  .strict();
export type ChangesOptions = Omit<z.input<typeof changesInputSchema>, 'dataType'>;

/** An event as the API shows it: what was sent, and how its delivery went. */
export interface EventView {
  /** As delivered: the payload's `id` and the `webhook-id` header (opaque, `evt_…`). */
  id: string;
  seq: number;
  type: EventType;
  occurredAt: string;
  recordedAt: string;
  data: StoredEvent['data'];
  delivery: {
    state: DeliveryState;
    attempts: number;
    lastError: string | null;
    lastAttemptAt: string | null;
    deliveredAt: string | null;
  };
}

export interface EventList {
  tenantId: string;
  events: EventView[];
  /** The tenant's last seq, and the seq up to which delivery has passed. */
  recorded: number;
  delivered: number;
}

/** See XledgerSyncClient.listEvents. */
export async function listEvents(
  ctx: ClientContext,
  tenantId: string,
  options: EventListOptions,
): Promise<EventList> {
  const id = parseTenantId(tenantId);
  const parsed = eventListOptionsSchema.safeParse(options);
  if (!parsed.success) throw invalid({ tenantId: id }, parsed.error);
  await ctx.tenants.get(id);
  const page = await listStoredEvents(ctx.store.db, id, parsed.data);
  return { tenantId: id, ...page, events: page.events.map(eventView) };
}

export interface RedeliveryResult {
  tenantId: string;
  eventId: string;
  seq: number;
  /** false: the event has not been reached yet; it goes out in its turn anyway. */
  queued: boolean;
}

/**
 * See XledgerSyncClient.redeliverEvent: sends an event again (delivered, failed or skipped
 * ones), at least once, with the same `webhook-id`, so a receiver that has it already can drop
 * it. Done by the tenant's delivery workflow, between two events, with the usual retries.
 */
export async function redeliverEvent(
  ctx: ClientContext,
  tenantId: string,
  eventId: string,
): Promise<RedeliveryResult> {
  const id = parseTenantId(tenantId);
  await ctx.tenants.get(id);
  const db = ctx.store.db;
  // By the id SEMINE received (webhook-id) or the stored one an operator may hold.
  const event = await findEvent(db, id, storedIdOf(eventId));
  if (!event) throw new UnknownEventError(id, eventId);
  const { delivered } = await eventPositions(db, id);
  const result = { tenantId: id, eventId, seq: event.seq };
  if (event.seq > delivered) return { ...result, queued: false };
  await setDeliveryState(db, event._id, 'pending', null);
  await wakeDelivery(starterOf(ctx), id, { key: event._id });
  return { ...result, queued: true };
}

export const skipEventOptionsSchema = z
  .object({
    /** Who skips it, recorded with the skip (default: "xledger-sync API"; the HTTP API: its key). */
    by: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('Who skips it, recorded with the skip (default: "xledger-sync API"; over HTTP, the key)'),
    reason: z.string().trim().min(1).max(1000).optional(),
  })
  .strict();
export type SkipEventOptions = z.input<typeof skipEventOptionsSchema>;

export interface SkipResult {
  tenantId: string;
  /** As delivered (`evt_…`). */
  eventId: string;
  seq: number;
  /** false: it was skipped already (by, at: that skip's). */
  skipped: boolean;
  by: string;
  at: string;
  reason: string | null;
}

/**
 * See XledgerSyncClient.skipEvent: stops delivering one pending event (one a receiver keeps
 * refusing) so the tenant's later events go. The skip is decided by one insert (store/event-skips.ts),
 * then the delivery workflow is told, which ends the event's attempts at once.
 */
export async function skipEvent(
  ctx: ClientContext,
  tenantId: string,
  eventId: string,
  options: SkipEventOptions,
): Promise<SkipResult> {
  const id = parseTenantId(tenantId);
  const parsed = skipEventOptionsSchema.safeParse(options);
  if (!parsed.success) throw invalid({ tenantId: id }, parsed.error);
  await ctx.tenants.get(id);
  const db = ctx.store.db;
  const event = await findEvent(db, id, storedIdOf(eventId));
  if (!event) throw new UnknownEventError(id, eventId);
  if (event.delivery.state !== 'pending' && !(await readSkip(db, event._id))) {
    throw new InvalidInputError(id, [
      {
        field: 'eventId',
        message: `event ${eventId} is ${event.delivery.state}, not waiting for delivery: nothing to skip`,
      },
    ]);
  }
  const { skip, mine } = await claimSkip(
    db,
    event,
    parsed.data.by ?? 'xledger-sync API',
    parsed.data.reason ?? null,
  );
  await setDeliveryState(db, event._id, 'skipped', skipNote(skip));
  await signalSkippedEvent(starterOf(ctx), id, { key: event._id });
  return {
    tenantId: id,
    eventId: webhookIdOf(event.id),
    seq: event.seq,
    skipped: mine,
    by: skip.by,
    at: skip.at.toISOString(),
    reason: skip.reason,
  };
}

/**
 * A page of the change feed: the tenant, the data type (which narrows `changes`' records to its
 * own record types), the changes, and the cursors.
 */
export type ChangesPage<T extends DataType = DataType> = T extends unknown
  ? { tenantId: string; dataType: T } & ChangesRead<T>
  : never;

/** See XledgerSyncClient.changes. */
export async function changes<T extends DataType>(
  ctx: ClientContext,
  tenantId: string,
  dataType: T,
  options: ChangesOptions,
): Promise<ChangesPage<T>> {
  const id = parseTenantId(tenantId);
  const parsed = changesInputSchema.safeParse({ ...options, dataType });
  if (!parsed.success) throw invalid({ tenantId: id }, parsed.error);
  await ctx.tenants.get(id);
  const { dataType: _type, ...cursor } = parsed.data;
  const page = await readChanges(ctx.store.db, id, dataType, cursor);
  return { tenantId: id, dataType, ...page } as ChangesPage<T>;
}

function eventView(event: StoredEvent): EventView {
  return {
    id: webhookIdOf(event.id),
    seq: event.seq,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    recordedAt: event.recordedAt.toISOString(),
    data: event.data,
    delivery: {
      state: event.delivery.state,
      attempts: event.delivery.attempts,
      lastError: event.delivery.lastError,
      lastAttemptAt: event.delivery.lastAttemptAt?.toISOString() ?? null,
      deliveredAt: event.delivery.deliveredAt?.toISOString() ?? null,
    },
  };
}
