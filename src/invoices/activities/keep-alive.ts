import { Context } from '@temporalio/activity';

/** How often the invoice activities tell Temporal they are alive. */
export const INVOICE_HEARTBEAT_MS = 5_000;

/**
 * Heartbeats on a timer while `work` runs, so that with a heartbeat timeout Temporal notices a
 * dead worker within seconds and retries the activity elsewhere, instead of waiting out its
 * start-to-close timeout (minutes). Harmless when the caller sets no heartbeat timeout.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), INVOICE_HEARTBEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
