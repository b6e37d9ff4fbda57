import type { Db } from 'mongodb';
import { recordEvent, type StoredEvent } from '../store/events';
import { wakeDelivery, type WorkflowStarter } from '../temporal/starters';
import type { NewEvent } from '../domain/event-catalogue';

/** What recording an event and waking its delivery need (activities' deps and the client have it). */
export interface EventPublisherDeps extends WorkflowStarter {
  db: Db;
}

/**
 * Records the event (once, whatever retries) and wakes the tenant's delivery workflow. Call it
 * in the step that records the outcome: if the wake-up fails, the step fails and is retried,
 * and the second recording is a no-op. A wake-up lost anyway (a process that dies and is not
 * retried) is made up by the sweep (temporal/starters.ts).
 */
export async function publishEvent(deps: EventPublisherDeps, event: NewEvent): Promise<StoredEvent> {
  const stored = await recordEvent(deps.db, event);
  await wakeDelivery(deps, event.tenantId);
  return stored;
}
