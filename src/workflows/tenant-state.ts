/**
 * The tenant workflow's state, a plain class behind thin signal/query wiring (Temporal's
 * safe-message-handlers pattern). No I/O here: it only records what was asked and done.
 */
import type { ResyncRecord, ResyncRequest, TenantWorkflowStatus } from '../temporal/definitions';

const RECENT_KEPT = 20;

export class TenantState {
  pending: ResyncRecord[] = [];
  recent: ResyncRecord[] = [];

  constructor(
    readonly tenantId: string,
    readonly startedAt: string,
    carried?: Pick<TenantWorkflowStatus, 'pending' | 'recent'>,
  ) {
    if (carried) {
      this.pending = carried.pending;
      this.recent = carried.recent;
    }
  }

  /** Signals are queued, never rejected: a workflow that throws in a handler would fail. */
  request(request: ResyncRequest, now: string): void {
    const dataTypes = Array.isArray(request.dataTypes)
      ? request.dataTypes.filter((t) => typeof t === 'string')
      : [];
    this.pending.push({
      dataTypes,
      full: request.full === true,
      ...(request.full === true && request.allowMassDelete === true ? { allowMassDelete: true } : {}),
      requestedAt: now,
      dispatchedAt: null,
      ignored: [],
      ...(typeof request.requestId === 'string' ? { requestId: request.requestId } : {}),
    });
  }

  /** Merges everything pending into one dispatch: many signals before it become one resync. */
  takePending(): ResyncRecord[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** Requests whose dispatch failed go back to the front of the queue, before any that came since. */
  requeue(records: ResyncRecord[]): void {
    this.pending = [...records, ...this.pending];
  }

  dispatched(records: ResyncRecord[], ignored: string[], now: string): void {
    for (const record of records) {
      record.dispatchedAt = now;
      record.ignored = record.dataTypes.filter((type) => ignored.includes(type));
    }
    this.recent = [...records, ...this.recent].slice(0, RECENT_KEPT);
  }

  status(): TenantWorkflowStatus {
    return { tenantId: this.tenantId, pending: this.pending, recent: this.recent, startedAt: this.startedAt };
  }
}
