/**
 * One clear state per data type, and the tenant's state over them. Pure: the store keeps the
 * records these functions compute, the client adds what only Temporal knows (paused, running).
 * Plain types and pure functions only (workflows may import this file).
 */
import type { AttentionReason } from './event-catalogue';
import type { SyncFailureKind } from './figures';
import { xledgerFailureTypes } from './failure-types';

export const dataTypeStateNames = [
  'never_run',
  'syncing',
  'ok',
  'failed',
  'paused',
  'needs_attention',
] as const;

/**
 * never_run: no run has completed yet; syncing: a run is under way; ok: the last run completed;
 * failed: the last run failed (see lastFailure); paused: its schedule is paused; needs_attention:
 * the tenant's token was refused or lacks a scope — its runs end at once until a new token is
 * stored or the tenant is resumed.
 */
export type DataTypeStateName = (typeof dataTypeStateNames)[number];

export interface RunFailure {
  kind: SyncFailureKind;
  message: string;
  /** ISO time the run failed. */
  at: string;
  workflowId: string;
  runId: string;
}

/** What is kept per (tenant, data type) from its runs' outcomes. */
export interface DataTypeRecord {
  /** When the last completed run finished (a run that held deletions for review completed too). */
  lastSuccessAt: string | null;
  lastFailure: RunFailure | null;
  /** Failed runs since the last completed one. */
  consecutiveFailures: number;
  /** `<workflowId>:<runId>` of the last outcome applied: a retried record does not count twice. */
  lastOutcomeRun: string | null;
}

export const emptyDataTypeRecord = (): DataTypeRecord => ({
  lastSuccessAt: null,
  lastFailure: null,
  consecutiveFailures: 0,
  lastOutcomeRun: null,
});

export const runKey = (run: { workflowId: string; runId: string }) => `${run.workflowId}:${run.runId}`;

/** The record after a completed run; the same run applied twice changes nothing. */
export function afterSuccess(
  record: DataTypeRecord | null,
  run: { workflowId: string; runId: string; finishedAt: string },
): DataTypeRecord {
  const current = record ?? emptyDataTypeRecord();
  if (current.lastOutcomeRun === runKey(run)) return current;
  return { ...current, lastSuccessAt: run.finishedAt, consecutiveFailures: 0, lastOutcomeRun: runKey(run) };
}

/** The record after a failed run; the same run applied twice changes nothing. */
export function afterFailure(record: DataTypeRecord | null, failure: RunFailure): DataTypeRecord {
  const current = record ?? emptyDataTypeRecord();
  if (current.lastOutcomeRun === runKey(failure)) return current;
  return {
    ...current,
    lastFailure: failure,
    consecutiveFailures: current.consecutiveFailures + 1,
    lastOutcomeRun: runKey(failure),
  };
}

/** What decides a data type's state besides its record. */
export interface StateContext {
  /** The tenant needs attention (a refused token or a missing scope). */
  needsAttention: boolean;
  /** Its schedule is paused. */
  paused: boolean;
  /** A run of it is under way. */
  running: boolean;
}

/**
 * The state, most pressing first: needs_attention (nothing will run until someone acts),
 * syncing, paused, failed, ok, never_run.
 */
export function dataTypeState(record: DataTypeRecord | null, context: StateContext): DataTypeStateName {
  if (context.needsAttention) return 'needs_attention';
  if (context.running) return 'syncing';
  if (context.paused) return 'paused';
  if (record && record.consecutiveFailures > 0) return 'failed';
  if (record?.lastSuccessAt) return 'ok';
  return 'never_run';
}

/** Which data type state speaks for the tenant: the first of these that any of its types is in. */
const tenantPrecedence: readonly DataTypeStateName[] = [
  'needs_attention',
  'failed',
  'syncing',
  'paused',
  'never_run',
  'ok',
];

export function tenantStateOf(states: readonly DataTypeStateName[]): DataTypeStateName {
  return tenantPrecedence.find((state) => states.includes(state)) ?? 'never_run';
}

/** Whether every enabled data type has completed a run: the tenant's first sync is complete. */
export function isReady(records: ReadonlyArray<DataTypeRecord | null>): boolean {
  return records.length > 0 && records.every((record) => record?.lastSuccessAt != null);
}

/**
 * A failed run's failure, from the type of the ApplicationFailure that ended it
 * (src/domain/failure-types.ts): auth and scope need a person (the tenant needs attention);
 * credits wait for Xledger's quota; anything else gave up after its retries.
 */
export function classifyRunFailure(
  failureType: string | null,
  message: string,
): { kind: SyncFailureKind; attention: AttentionReason | null } {
  switch (failureType) {
    case xledgerFailureTypes.unauthorized:
      return { kind: 'auth', attention: /expired/i.test(message) ? 'token_expired' : 'token_revoked' };
    case xledgerFailureTypes.missing_scope:
      return { kind: 'scope', attention: 'scope_missing' };
    case xledgerFailureTypes.credits_exhausted:
      return { kind: 'credits', attention: null };
    default:
      return { kind: 'exhausted_retries', attention: null };
  }
}

/**
 * What a needs-attention episode holds back. A token, scope or owner problem stops every run
 * (each request would fail the same way). A duplicated invoice holds new invoice creates only:
 * whatever made Xledger hold a voucher twice may do it again, but SEMINE still needs its
 * suppliers and accounts while someone reverses the extra voucher.
 */
export function attentionHolds(reason: AttentionReason, work: 'syncs' | 'posting'): boolean {
  return reason === 'invoice_duplicated' ? work === 'posting' : work === 'syncs';
}

/** What to tell an operator about a tenant that needs attention. */
export function attentionAdvice(reason: AttentionReason): string {
  switch (reason) {
    case 'token_revoked':
    case 'token_expired':
      return 'store a new token (xledger-sync tenant upsert), or resume the tenant once the token works again';
    case 'scope_missing':
      return 'grant the scope to the token in Xledger and resume the tenant (xledger-sync tenant resume), or store a new token';
    case 'owner_not_visible':
      return 'give the token sight of the Entity Owner in Xledger and resume the tenant, or store a new token';
    case 'invoice_duplicated':
      return 'reverse the extra voucher in Xledger (the invoice.duplicated event names both), then resume the tenant; until then new invoices are held (master data keeps syncing)';
  }
}

/**
 * A comma-separated list of states (`failed,needs_attention`), or an array of them; null when
 * something in it is not a state (the caller names the field).
 */
export function parseStateList(value: string | readonly string[]): DataTypeStateName[] | null {
  const items = (typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(',')))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) return null;
  const states: DataTypeStateName[] = [];
  for (const item of items) {
    if (!(dataTypeStateNames as readonly string[]).includes(item)) return null;
    if (!states.includes(item as DataTypeStateName)) states.push(item as DataTypeStateName);
  }
  return states;
}

/** A tenant matches a state filter when it, or any of its data types, is in one of the states. */
export function matchesStates(
  tenant: { state: DataTypeStateName; dataTypes: Record<string, DataTypeStateName> },
  states: readonly DataTypeStateName[],
): boolean {
  return states.includes(tenant.state) || Object.values(tenant.dataTypes).some((s) => states.includes(s));
}
