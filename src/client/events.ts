/**
 * The events API behind XledgerSyncClient (listEvents, redeliverEvent, changes): what SEMINE
 * was told, sending one event again, and the change feed. Inputs are validated with these zod
 * schemas by the client before anything here runs.
 */
import { z } from 'zod';
import { masterDataTypeNames } from '../datatypes/registry';
import type { EventType } from '../events/catalogue';
import { wakeDelivery, type EventPublisherDeps } from '../events/publish';
import { readChanges, type ChangesPage } from '../store/changes';
import {
  eventPositions,
  findEvent,
  listEvents,
  setDeliveryState,
  type DeliveryState,
  type StoredEvent,
} from '../store/events';
import type { Db } from 'mongodb';

export class UnknownEventError extends Error {
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

export const dataTypeNameSchema = z.enum(masterDataTypeNames as [string, ...string[]], {
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

export async function listTenantEvents(
  db: Db,
  tenantId: string,
  options: z.output<typeof eventListOptionsSchema>,
): Promise<EventList> {
  const page = await listEvents(db, tenantId, options);
  return { tenantId, ...page, events: page.events.map(eventView) };
}

export interface RedeliveryResult {
  tenantId: string;
  eventId: string;
  seq: number;
  /** false: the event has not been reached yet; it goes out in its turn anyway. */
  queued: boolean;
}

/**
 * Sends an event again (delivered, failed or skipped ones): at least once, with the same
 * `webhook-id`, so a receiver that has it already can drop it. Done by the tenant's delivery
 * workflow, between two events, with the usual retries.
 */
export async function redeliverTenantEvent(
  deps: EventPublisherDeps,
  tenantId: string,
  eventId: string,
): Promise<RedeliveryResult> {
  const event = await findEvent(deps.db, tenantId, eventId);
  if (!event) throw new UnknownEventError(tenantId, eventId);
  const { delivered } = await eventPositions(deps.db, tenantId);
  const result = { tenantId, eventId, seq: event.seq };
  if (event.seq > delivered) return { ...result, queued: false };
  await setDeliveryState(deps.db, event._id, 'pending', null);
  await wakeDelivery(deps, tenantId, { name: 'redeliverEvent', args: [{ key: event._id }] });
  return { ...result, queued: true };
}

export async function tenantChanges(
  db: Db,
  tenantId: string,
  input: z.output<typeof changesInputSchema>,
): Promise<ChangesPage & { tenantId: string; dataType: string }> {
  const { dataType, ...options } = input;
  return { tenantId, dataType, ...(await readChanges(db, tenantId, dataType, options)) };
}

function eventView(event: StoredEvent): EventView {
  return {
    id: event.id,
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
