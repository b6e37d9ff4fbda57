import { Context } from '@temporalio/activity';

/** How often the invoice activities tell Temporal how they are getting on. */
export const INVOICE_HEARTBEAT_MS = 5_000;

/** What an invoice activity is doing, as its heartbeat details show it in the Web UI. */
export interface ProgressDetails {
  step: string;
  /** When this step began (ISO): a step that began long ago is stalled. */
  since: string;
}

/**
 * Heartbeats that report progress, not just a live process: each beat carries the current step
 * and when it began, and a step that runs past its own budget (a request hung beyond its
 * timeout, a database call that never returns) stops the beats — and with them `onBeat`, the
 * posting lease's renewal — so Temporal's heartbeat timeout ends the stalled attempt and the
 * lease lapses for the next one, instead of a timer keeping a stuck attempt looking alive.
 */
export class Progress {
  private step = 'starting';
  private since = Date.now();
  private budgetMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly context = Context.current();

  constructor(
    private readonly defaultBudgetMs: number,
    private readonly onBeat?: () => Promise<unknown>,
  ) {
    this.budgetMs = defaultBudgetMs;
    this.timer = setInterval(() => this.beat(), INVOICE_HEARTBEAT_MS);
  }

  /** Starts a step (beats at once); it may run for `budgetMs` before it counts as stalled. */
  at(step: string, budgetMs = this.defaultBudgetMs): void {
    this.step = step;
    this.since = Date.now();
    this.budgetMs = budgetMs;
    this.beat();
  }

  /** Whether the current step has run past its budget. */
  stalled(): boolean {
    return Date.now() - this.since > this.budgetMs;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    if (this.stalled()) return;
    const details: ProgressDetails = { step: this.step, since: new Date(this.since).toISOString() };
    this.context.heartbeat(details);
    void this.onBeat?.().catch(() => undefined);
  }
}

/** One step's budget unless it says otherwise: far above a MongoDB round trip or two. */
export const STEP_BUDGET_MS = 60_000;

/**
 * Runs `work` with progress heartbeats (see Progress); harmless when the caller sets no heartbeat
 * timeout.
 */
export async function whileHeartbeating<T>(
  work: (progress: Progress) => Promise<T>,
  budgetMs = STEP_BUDGET_MS,
): Promise<T> {
  const progress = new Progress(budgetMs);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}
