/**
 * A departure deadline for a request that must not reach Xledger late: a create whose answer may
 * be lost. Xledger has no idempotency key, so after a lost answer the service waits a settle
 * window before it may create again (src/invoices/settle-window.ts), and that window counts from
 * the latest moment the first request could have left. A request that waits in the gate, sleeps
 * out a rate limit, or sits in a worker frozen between its fence and its socket can leave much
 * later than it was recorded; the deadline bounds that: past it, the request is not sent at all.
 *
 * The deadline is checked as late as the process can: before the request is handed to fetch,
 * and again when fetch asks for the body's end (the body is a stream that ends only while the
 * deadline holds). A server runs a request only once its body is complete; a body cut off is
 * never run. So a worker frozen after its last check, woken later, cannot complete the request.
 */

/** The deadline passed before the request (or the end of its body) left this process. */
export class DepartureMissed extends Error {
  override name = 'DepartureMissed';

  constructor(readonly leavesBy: Date) {
    super(`the request was due to leave by ${leavesBy.toISOString()} and had not`);
  }
}

/** Throws DepartureMissed once `leavesBy` has passed. */
export function assertDeparting(leavesBy: Date, now = Date.now()): void {
  if (now > leavesBy.getTime()) throw new DepartureMissed(leavesBy);
}

/**
 * The request body as a stream that hands out its bytes, then its end, each only while the
 * deadline holds (pulled on demand: nothing is read ahead of the socket).
 */
export function bodyLeavingBy(
  bytes: Uint8Array,
  leavesBy: Date,
  now: () => number = Date.now,
): ReadableStream<Uint8Array> {
  let handedOut = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        try {
          assertDeparting(leavesBy, now());
        } catch (error) {
          controller.error(error);
          return;
        }
        if (handedOut) {
          controller.close();
          return;
        }
        handedOut = true;
        controller.enqueue(bytes);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The DepartureMissed somewhere in an error's cause chain (fetch wraps what its body threw). */
export function departureMissedIn(error: unknown): DepartureMissed | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof DepartureMissed) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
