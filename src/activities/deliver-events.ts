import { ApplicationFailure } from '@temporalio/activity';
import type { WebhookSettings } from '../config';
import { disableGoneEndpoint, retryDelayMs } from '../events/endpoint-gone';
import { wakeDelivery } from '../temporal/starters';
import { sendWebhook, type WebhookTarget } from '../events/webhook';
import { webhookEndpointProblem } from '../security/webhook-policy';
import {
  advanceDelivered,
  closeGap,
  eventByKey,
  eventPositions,
  readSlots,
  saveDeliveryAttempt,
  setDeliveryState,
  tenantsBehind,
} from '../store/events';
import { readSkip, skipNote, skipsOf } from '../store/event-skips';
import { UnknownTenantError } from '../store/tenants';
import type { ActivityDeps } from './deps';

/** How long an event is retried before it is marked failed (redeliver sends it again). */
export const DELIVERY_RETRY_PERIOD_MS = 3 * 24 * 60 * 60_000;

export interface EventToDeliver {
  key: string;
  seq: number;
  /** Attempts end here (ISO): its recording + the retry period. */
  deadline: string;
}

const DEFAULT_WEBHOOKS: WebhookSettings = {
  policy: { allowedHosts: null, insecureHosts: [] },
  timeoutMs: 10_000,
};

/**
 * The delivery workflow's steps (workflows/deliver-tenant-events.ts). Only ids and seqs travel
 * through Temporal: payloads and secrets are read here, by key.
 */
export function createDeliveryActivities(deps: ActivityDeps) {
  const webhooks = deps.webhooks ?? DEFAULT_WEBHOOKS;

  /**
   * The next events to deliver, in seq order, from the delivery cursor on: stops before the
   * first empty seq (`gapAt`: the workflow lets it settle, then closes it). Seqs already handled
   * (closed gaps, events delivered by an attempt that died before moving the cursor) are passed.
   */
  async function takeNextEvents(input: {
    tenantId: string;
    limit: number;
  }): Promise<{ events: EventToDeliver[]; gapAt: number | null }> {
    const { recorded, delivered } = await eventPositions(deps.db, input.tenantId);
    const slots = await readSlots(
      deps.db,
      input.tenantId,
      delivered,
      Math.min(input.limit, recorded - delivered),
    );
    // An operator's skip decides, whatever state a late attempt wrote on the event since.
    const skipped = await skipsOf(
      deps.db,
      slots.flatMap((slot) =>
        slot.kind === 'event' && slot.event.delivery.state === 'pending' ? [slot.event._id] : [],
      ),
    );
    for (const skip of skipped.values()) {
      await setDeliveryState(deps.db, skip.key, 'skipped', skipNote(skip));
    }
    const events: EventToDeliver[] = [];
    let handledThrough = delivered;
    let gapAt: number | null = null;
    for (const slot of slots) {
      if (slot.kind === 'empty') {
        gapAt = slot.seq;
        break;
      }
      const done =
        slot.kind === 'gap' || slot.event.delivery.state !== 'pending' || skipped.has(slot.event._id);
      if (done && events.length === 0) {
        handledThrough = slot.seq;
        continue;
      }
      if (slot.kind === 'event' && !done) {
        events.push({
          key: slot.event._id,
          seq: slot.seq,
          deadline: new Date(slot.event.recordedAt.getTime() + DELIVERY_RETRY_PERIOD_MS).toISOString(),
        });
      }
    }
    if (handledThrough > delivered) await advanceDelivered(deps.db, input.tenantId, handledThrough);
    return { events, gapAt };
  }

  /** Closes an empty seq that stayed empty; false if its event landed meanwhile. */
  async function closeEventGap(input: { tenantId: string; seq: number }): Promise<{ closed: boolean }> {
    const closed = await closeGap(deps.db, input.tenantId, input.seq);
    if (closed) await advanceDelivered(deps.db, input.tenantId, input.seq);
    return { closed };
  }

  /**
   * One attempt: POSTs the event to the tenant's webhook (or the service default). A failure
   * is stored on the event and thrown for Temporal to retry with backoff, until the deadline:
   * then the event is marked failed and the failure is final.
   */
  async function deliverEvent(input: {
    tenantId: string;
    key: string;
    deadline: string;
    /** An operator's redelivery: sent even if it was skipped before. */
    redelivery?: boolean;
  }): Promise<{ state: 'delivered' | 'skipped' | 'filtered' }> {
    const event = await eventByKey(deps.db, input.key);
    if (!event || event.tenantId !== input.tenantId) {
      throw ApplicationFailure.nonRetryable(
        `No event ${input.key} of tenant ${input.tenantId}`,
        'UnknownEvent',
      );
    }
    // Skipped by an operator (while it waited between attempts): not sent again.
    const skip = await readSkip(deps.db, event._id);
    if (skip && !input.redelivery) {
      await setDeliveryState(deps.db, event._id, 'skipped', skipNote(skip));
      await advanceDelivered(deps.db, input.tenantId, event.seq);
      return { state: 'skipped' };
    }
    const target = await targetOf(input.tenantId);
    if (!target) {
      await setDeliveryState(deps.db, event._id, 'skipped', 'no webhook URL configured (tenant or default)');
      await advanceDelivered(deps.db, input.tenantId, event.seq);
      return { state: 'skipped' };
    }
    if (target.eventTypes && !target.eventTypes.includes(event.type)) {
      // Kept (events list, redeliver) but not sent: the tenant's webhook does not take this type.
      await setDeliveryState(
        deps.db,
        event._id,
        'filtered',
        `${event.type} is not among the tenant's webhook.eventTypes`,
      );
      await advanceDelivered(deps.db, input.tenantId, event.seq);
      return { state: 'filtered' };
    }
    const disabled = await deps.tenants.webhookDisabled(input.tenantId);
    if (disabled && disabled.url === target.url) {
      await setDeliveryState(deps.db, event._id, 'skipped', disabled.reason);
      await advanceDelivered(deps.db, input.tenantId, event.seq);
      return { state: 'skipped' };
    }
    const problem = webhookEndpointProblem(target.url, webhooks.policy);
    const outcome = problem
      ? { ok: false as const, error: `the webhook URL ${problem}` }
      : await sendWebhook(target, event, {
          timeoutMs: webhooks.timeoutMs,
          insecureHosts: webhooks.policy.insecureHosts,
        });
    if (outcome.ok) {
      await saveDeliveryAttempt(deps.db, event._id, { state: 'delivered', error: null });
      await advanceDelivered(deps.db, input.tenantId, event.seq);
      return { state: 'delivered' };
    }
    if (!problem && !outcome.ok && outcome.status === 410) {
      // Gone: this endpoint is off until the tenant is upserted again; the event is kept.
      const reason = await disableGoneEndpoint(deps, event, target.url);
      await saveDeliveryAttempt(deps.db, event._id, { state: 'skipped', error: reason });
      await advanceDelivered(deps.db, input.tenantId, event.seq);
      return { state: 'skipped' };
    }
    const expired = Date.now() >= Date.parse(input.deadline);
    await saveDeliveryAttempt(deps.db, event._id, {
      state: expired ? 'failed' : 'pending',
      error: outcome.error,
    });
    const message = `Event ${event.id} of tenant ${input.tenantId}: ${outcome.error}`;
    if (!expired) {
      // The receiver's Retry-After sets the next attempt (else Temporal's backoff does).
      const delay = outcome.ok ? null : retryDelayMs(outcome.retryAfterMs, new Date(input.deadline));
      throw ApplicationFailure.create({
        message,
        type: 'WebhookDeliveryFailed',
        ...(delay === null ? {} : { nextRetryDelay: delay }),
      });
    }
    await advanceDelivered(deps.db, input.tenantId, event.seq);
    throw ApplicationFailure.nonRetryable(
      `${message}; retried for 3 days, given up`,
      'WebhookDeliveryExpired',
    );
  }

  /** After attempts ended without a 2xx (or the activity's own deadline): failed, and passed. */
  async function giveUpEvent(input: { tenantId: string; key: string; reason: string }): Promise<void> {
    const event = await eventByKey(deps.db, input.key);
    if (!event || event.tenantId !== input.tenantId) return;
    if (event.delivery.state === 'pending') {
      await setDeliveryState(deps.db, event._id, 'failed', event.delivery.lastError ?? input.reason);
    }
    await advanceDelivered(deps.db, input.tenantId, event.seq);
  }

  /** The sweep: wakes the delivery of every tenant with events it has not passed yet. */
  async function wakePendingDeliveries(): Promise<{ woken: number }> {
    const tenants = await tenantsBehind(deps.db);
    for (const tenantId of tenants) await wakeDelivery(deps, tenantId);
    return { woken: tenants.length };
  }

  async function targetOf(tenantId: string): Promise<WebhookTarget | null> {
    try {
      const own = await deps.tenants.webhook(tenantId);
      if (own) return own;
    } catch (error) {
      // A removed tenant's last events go nowhere.
      if (error instanceof UnknownTenantError) return null;
      throw error;
    }
    return webhooks.defaultEndpoint ?? null;
  }

  return { takeNextEvents, closeEventGap, deliverEvent, giveUpEvent, wakePendingDeliveries };
}
