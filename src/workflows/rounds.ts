/**
 * Bounded retries for work that must not be dropped. Every activity call has a bounded number of
 * attempts (Temporal's retry policy), so a call can fail for good; where that would strand work
 * (an invoice whose posting workflow can never be started again, a tenant's resync requests),
 * the workflow catches the failure, waits on a durable timer and starts another round of
 * attempts. Pauses grow from half a minute to an hour, so that a lasting failure costs a few
 * history events an hour, not a hot loop.
 */

const FIRST_PAUSE_MS = 30_000;
const LONGEST_PAUSE_MS = 60 * 60_000;

/** The pause after the `round`-th failed round (1-based): 30 s, 1 min, 2 min, … at most 1 h. */
export function pauseAfterFailedRound(round: number): number {
  return Math.min(FIRST_PAUSE_MS * 2 ** Math.max(0, round - 1), LONGEST_PAUSE_MS);
}

/** The message of a failure and of its causes, e.g. "Activity task failed: Xledger is unavailable". */
export function failureMessage(error: unknown): string {
  const messages: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.message && !messages.includes(e.message)) messages.push(e.message);
  }
  return messages.join(': ') || String(error);
}
