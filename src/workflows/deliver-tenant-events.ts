import {
  condition,
  continueAsNew,
  isCancellation,
  CancellationScope,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  eventsRecordedSignal,
  redeliverEventSignal,
  skipEventSignal,
  type DeliverTenantEventsInput,
} from '../temporal/definitions';
import { failureMessage, pauseAfterFailedRound } from './rounds';

/** Reading the outbox: about five minutes of attempts, then a paused round (rounds.ts). */
const { takeNextEvents, closeEventGap, giveUpEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * One activity per attempt, with its own timeout (the POST itself times out sooner, at
 * WEBHOOK_TIMEOUT_MS). Temporal retries with backoff — 2 s doubling to 15 min — until the
 * activity gives up at the event's deadline (3 days); the schedule-to-close timeout is only a
 * backstop. Retries add no history events, so a receiver down for days costs nothing here.
 */
const { deliverEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '73 hours',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '15 minutes',
    nonRetryableErrorTypes: ['WebhookDeliveryExpired', 'UnknownEvent'],
  },
});

const BATCH = 20;
/** An empty seq gets this long for its recorder's insert before delivery closes it (store/events.ts). */
const SETTLE = '3 seconds';
/** With nothing to deliver for this long, the workflow ends; the next event starts a new one. */
const IDLE = '10 minutes';
const REDELIVERY_PERIOD_MS = 3 * 24 * 60 * 60_000;
/**
 * An event's attempts run in a scope that a skip signal cancels (new histories only: older ones
 * replay without the scope; their skipped event is passed at its next attempt instead).
 */
export const SKIPPABLE_DELIVERY_PATCH = 'event-delivery-skippable';

/**
 * One per tenant (`events:<tenant>`): delivers the tenant's events one at a time in seq order.
 * The next event is not sent before the one before it is delivered or given up on, so a
 * receiver that is down delays this tenant's events without reordering or dropping them, and
 * holds no other tenant up (each has its own workflow, each attempt its own activity slot).
 * Started or woken by signal-with-start whenever an event is recorded (events/publish.ts).
 */
export async function deliverTenantEventsWorkflow(input: DeliverTenantEventsInput): Promise<void> {
  const { tenantId } = input;
  const redeliveries = [...(input.redeliveries ?? [])];
  let recorded = true;
  /** Events an operator skipped while this run was up (the store holds the skip itself). */
  const skips = new Set<string>();
  setHandler(eventsRecordedSignal, () => {
    recorded = true;
  });
  setHandler(redeliverEventSignal, ({ key }) => {
    if (!redeliveries.includes(key)) redeliveries.push(key);
    // Asked for again after a skip: the skip no longer stops it.
    skips.delete(key);
  });
  setHandler(skipEventSignal, ({ key }) => {
    skips.add(key);
  });

  /**
   * The event's attempts, cut short when it is skipped: Temporal's backoff may otherwise wait
   * up to 15 minutes before the next attempt finds the skip.
   */
  const attempts = async (key: string, deadline: string, redelivery: boolean) => {
    const args = { tenantId, key, deadline, ...(redelivery ? { redelivery } : {}) };
    if (!patched(SKIPPABLE_DELIVERY_PATCH)) {
      await deliverEvent(args);
      return;
    }
    const scope = new CancellationScope();
    let settled = false;
    const watch = condition(() => settled || skips.has(key)).then(() => {
      if (!settled) scope.cancel();
    });
    try {
      await scope.run(() => deliverEvent(args));
    } catch (error) {
      // Skipped: the next takeNextEvents passes it (it reads the stored skip).
      if (!(skips.has(key) && isCancellation(error))) throw error;
      log.info('event skipped by an operator during its attempts', { tenantId, key });
    } finally {
      settled = true;
      skips.delete(key);
    }
    await watch;
  };

  const deliver = async (key: string, deadline: string, redelivery = false) => {
    try {
      await attempts(key, deadline, redelivery);
    } catch (error) {
      if (isCancellation(error)) throw error;
      // Given up (3 days of refusals): it is marked failed, and the tenant's next event goes.
      await outboxStep(() => giveUpEvent({ tenantId, key, reason: failureMessage(error) }));
    }
  };
  let failedRounds = 0;
  /** A step on the outbox that ran out of attempts (MongoDB away) pauses and tries again. */
  const outboxStep = async <T>(step: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        const result = await step();
        failedRounds = 0;
        return result;
      } catch (error) {
        if (isCancellation(error)) throw error;
        failedRounds += 1;
        log.warn('event outbox step failed; retrying after a pause', {
          tenantId,
          reason: failureMessage(error),
        });
        await sleep(pauseAfterFailedRound(failedRounds));
      }
    }
  };

  for (;;) {
    if (historyIsLarge()) {
      await continueAsNew<typeof deliverTenantEventsWorkflow>({ tenantId, redeliveries });
    }
    const redelivery = redeliveries[0];
    if (redelivery !== undefined) {
      await deliver(redelivery, new Date(Date.now() + REDELIVERY_PERIOD_MS).toISOString(), true);
      redeliveries.shift();
      continue;
    }
    recorded = false;
    const next = await outboxStep(() => takeNextEvents({ tenantId, limit: BATCH }));
    for (const event of next.events) await deliver(event.key, event.deadline);
    if (next.events.length > 0) continue;
    if (next.gapAt !== null) {
      const seq = next.gapAt;
      await sleep(SETTLE);
      await outboxStep(() => closeEventGap({ tenantId, seq }));
      continue;
    }
    await condition(() => recorded || redeliveries.length > 0, IDLE);
    // Checked on the flags, not on condition's result: a signal that came with the timer counts.
    if (!recorded && redeliveries.length === 0) return;
  }
}

function historyIsLarge(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > 2_000;
}
