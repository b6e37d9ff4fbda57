/**
 * What a webhook's answer asks of delivery beyond "try again": 410 Gone turns delivery to that
 * endpoint off and tells someone (`tenant.needs_attention`, reason `webhook_gone`); a
 * `Retry-After` sets when the next attempt goes. Called by the delivery activity
 * (activities/deliver-events.ts).
 */
import type { ActivityDeps } from '../activities/deps';
import type { StoredEvent } from '../store/events';
import { eventIds } from '../domain/event-catalogue';
import { publishEvent } from './publish';

/** The longest wait a receiver's Retry-After can impose on one attempt. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** The shortest (a Retry-After of 0 is not a tight loop). */
export const MIN_RETRY_AFTER_MS = 1_000;

/**
 * The delay before the next attempt that a Retry-After asks for, clamped to [1 s, 1 h] and to the
 * event's deadline (the attempt at the deadline gives up); null without one.
 */
export function retryDelayMs(
  retryAfterMs: number | undefined,
  deadline: Date,
  now = new Date(),
): number | null {
  if (retryAfterMs === undefined) return null;
  const untilDeadline = Math.max(MIN_RETRY_AFTER_MS, deadline.getTime() - now.getTime());
  return Math.min(Math.max(retryAfterMs, MIN_RETRY_AFTER_MS), MAX_RETRY_AFTER_MS, untilDeadline);
}

/**
 * The endpoint answered 410 Gone for `event`: no more deliveries to `url` for the tenant until
 * it is upserted again (its events are kept, marked skipped, and can be redelivered then), and
 * a `tenant.needs_attention` event records why (once per 410, by the refused event's seq).
 */
export async function disableGoneEndpoint(
  deps: Pick<ActivityDeps, 'db' | 'tenants' | 'temporal' | 'taskQueue' | 'logger'>,
  event: StoredEvent,
  url: string,
  now = new Date(),
): Promise<string> {
  const where = new URL(url).origin;
  const reason = `${where} answered 410 Gone to event ${event.seq}: delivery to it is off until the tenant is upserted again`;
  // The tenant's own webhook or the service default alike: off for this tenant, so that the
  // event announcing it is not sent there to be refused again.
  await deps.tenants.disableWebhook(event.tenantId, { url, at: now, reason });
  deps.logger.warn(
    { tenantId: event.tenantId, seq: event.seq, endpoint: where },
    'webhook endpoint gone: disabled',
  );
  await publishEvent(deps, {
    id: eventIds.webhookGone(event.tenantId, event.seq),
    tenantId: event.tenantId,
    type: 'tenant.needs_attention',
    data: { reason: 'webhook_gone', message: reason, dataType: 'webhooks' },
    occurredAt: now,
  });
  return reason;
}
