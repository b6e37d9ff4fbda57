import { describe, expect, it } from 'vitest';
import { tenantCost, XLEDGER_INCLUDED_PER_MONTH, type UsageSample } from '../../../src/domain/cost';
import {
  afterFailure,
  afterSuccess,
  attentionHolds,
  classifyRunFailure,
  dataTypeState,
  isReady,
  matchesStates,
  parseStateList,
  tenantStateOf,
  type DataTypeRecord,
  type RunFailure,
} from '../../../src/domain/data-type-state';

const quiet = { needsAttention: false, paused: false, running: false };
const run = (n: number) => ({ workflowId: `sync:t:suppliers-${n}`, runId: `run-${n}` });
const failure = (n: number, kind: RunFailure['kind'] = 'exhausted_retries'): RunFailure => ({
  ...run(n),
  kind,
  message: `failure ${n}`,
  at: `2026-01-0${n}T00:00:00.000Z`,
});

describe('data type state', () => {
  it('is never_run before any outcome, ok after a completed run', () => {
    expect(dataTypeState(null, quiet)).toBe('never_run');
    const ok = afterSuccess(null, { ...run(1), finishedAt: '2026-01-01T00:00:00.000Z' });
    expect(ok).toEqual({
      lastSuccessAt: '2026-01-01T00:00:00.000Z',
      lastFailure: null,
      consecutiveFailures: 0,
      lastOutcomeRun: 'sync:t:suppliers-1:run-1',
    });
    expect(dataTypeState(ok, quiet)).toBe('ok');
  });

  it('counts consecutive failures once per run, and a completed run resets them but keeps the last failure', () => {
    let record: DataTypeRecord | null = afterSuccess(null, { ...run(1), finishedAt: '2026-01-01T00:00:00Z' });
    record = afterFailure(record, failure(2));
    // A retried record of the same failed run changes nothing.
    expect(afterFailure(record, failure(2))).toBe(record);
    record = afterFailure(record, failure(3, 'credits'));
    expect(record.consecutiveFailures).toBe(2);
    expect(record.lastFailure).toMatchObject({ kind: 'credits', message: 'failure 3', runId: 'run-3' });
    expect(record.lastSuccessAt).toBe('2026-01-01T00:00:00Z');
    expect(dataTypeState(record, quiet)).toBe('failed');

    const recovered = afterSuccess(record, { ...run(4), finishedAt: '2026-01-05T00:00:00Z' });
    expect(afterSuccess(recovered, { ...run(4), finishedAt: '2026-01-06T00:00:00Z' })).toBe(recovered);
    expect(recovered.consecutiveFailures).toBe(0);
    expect(recovered.lastFailure?.runId).toBe('run-3');
    expect(dataTypeState(recovered, quiet)).toBe('ok');
  });

  it('needs_attention outranks everything, then syncing, paused, failed', () => {
    const failed = afterFailure(null, failure(1, 'auth'));
    expect(dataTypeState(failed, { needsAttention: true, paused: true, running: true })).toBe(
      'needs_attention',
    );
    expect(dataTypeState(failed, { needsAttention: false, paused: true, running: true })).toBe('syncing');
    expect(dataTypeState(failed, { needsAttention: false, paused: true, running: false })).toBe('paused');
    expect(dataTypeState(failed, quiet)).toBe('failed');
    expect(dataTypeState(null, { ...quiet, running: true })).toBe('syncing');
  });

  it("the tenant's state is the most pressing of its data types'", () => {
    expect(tenantStateOf(['ok', 'failed', 'syncing'])).toBe('failed');
    expect(tenantStateOf(['ok', 'never_run', 'syncing'])).toBe('syncing');
    expect(tenantStateOf(['ok', 'never_run'])).toBe('never_run');
    expect(tenantStateOf(['ok', 'ok'])).toBe('ok');
    expect(tenantStateOf(['paused', 'paused'])).toBe('paused');
    expect(tenantStateOf(['needs_attention', 'failed'])).toBe('needs_attention');
  });

  it('the first sync is complete when every enabled data type has completed a run', () => {
    const ok = afterSuccess(null, { ...run(1), finishedAt: '2026-01-01T00:00:00Z' });
    expect(isReady([ok, ok])).toBe(true);
    expect(isReady([ok, null])).toBe(false);
    expect(isReady([ok, afterFailure(null, failure(2))])).toBe(false);
    // Failing after the first completed run does not take readiness back.
    expect(isReady([ok, afterFailure(ok, failure(2))])).toBe(true);
    expect(isReady([])).toBe(false);
  });

  it('classifies failures: a refused token or a missing scope needs attention', () => {
    expect(classifyRunFailure('XledgerUnauthorized', 'Xledger refused the token')).toEqual({
      kind: 'auth',
      attention: 'token_revoked',
    });
    expect(classifyRunFailure('XledgerUnauthorized', 'the token has expired')).toEqual({
      kind: 'auth',
      attention: 'token_expired',
    });
    expect(classifyRunFailure('XledgerMissingScope', 'lacks SUPPLIER_READ')).toEqual({
      kind: 'scope',
      attention: 'scope_missing',
    });
    expect(classifyRunFailure('XledgerCreditsExhausted', 'spent')).toEqual({
      kind: 'credits',
      attention: null,
    });
    for (const type of ['XledgerUnavailable', 'XledgerInvalidRequest', 'PassSupersededError', null]) {
      expect(classifyRunFailure(type, 'x')).toEqual({ kind: 'exhausted_retries', attention: null });
    }
  });

  it('parses a state filter and matches tenants by any of their data types', () => {
    expect(parseStateList('failed,needs_attention')).toEqual(['failed', 'needs_attention']);
    expect(parseStateList(['ok', 'failed, ok'])).toEqual(['ok', 'failed']);
    expect(parseStateList('failed,broken')).toBeNull();
    expect(parseStateList(' , ')).toBeNull();
    const tenant = {
      state: 'failed' as const,
      dataTypes: { suppliers: 'failed' as const, accounts: 'ok' as const },
    };
    expect(matchesStates(tenant, ['ok'])).toBe(true);
    expect(matchesStates(tenant, ['needs_attention', 'paused'])).toBe(false);
  });
});

describe('what a needs-attention episode holds back', () => {
  it('a token, scope or owner problem stops runs; a duplicated invoice only new creates', () => {
    for (const reason of ['token_revoked', 'token_expired', 'scope_missing', 'owner_not_visible'] as const) {
      expect([attentionHolds(reason, 'syncs'), attentionHolds(reason, 'posting')]).toEqual([true, false]);
    }
    expect([
      attentionHolds('invoice_duplicated', 'syncs'),
      attentionHolds('invoice_duplicated', 'posting'),
    ]).toEqual([false, true]);
  });
});

describe('cost', () => {
  const now = Date.parse('2026-03-31T12:00:00.000Z');
  const ago = (hours: number) => new Date(now - hours * 3_600_000).toISOString();
  const sample = (hours: number, requests: number, bytesReceived = 0, bytesSent = 0): UsageSample => ({
    startedAt: ago(hours),
    requests,
    bytesReceived,
    bytesSent,
  });

  it('sums the last 24 hours and 30 days, and projects 30 days of history as they are', () => {
    const cost = tenantCost(
      [
        sample(1, 10, 2_000_000, 500_000),
        sample(23, 5),
        sample(25, 100),
        sample(29 * 24, 85),
        sample(31 * 24, 999),
      ],
      now,
    );
    expect(cost.last24h).toEqual({ requests: 15, mbDown: 2, mbUp: 0.5 });
    expect(cost.last30d.requests).toBe(200);
    expect(cost.projectionBasisDays).toBe(29);
    expect(cost.projectedMonth.requests).toBe(Math.round((200 * 30) / 29));
    expect(cost.included).toEqual(XLEDGER_INCLUDED_PER_MONTH);
    expect(cost.projectedShareOfIncluded).toBeCloseTo(cost.projectedMonth.requests / 5_000);
  });

  it('projects a young tenant from its own days, but never from less than one day', () => {
    const young = tenantCost([sample(48, 40), sample(1, 20)], now);
    expect(young.projectionBasisDays).toBe(2);
    expect(young.projectedMonth.requests).toBe(900);
    const firstHour = tenantCost([sample(1, 12)], now);
    expect(firstHour.projectionBasisDays).toBe(1);
    expect(firstHour.projectedMonth.requests).toBe(360);
    const none = tenantCost([], now);
    expect(none.last30d).toEqual({ requests: 0, mbDown: 0, mbUp: 0 });
    expect(none.projectedMonth.requests).toBe(0);
  });

  it("shows the allowance as the customer's, shared by all its integrations, and billed beyond", () => {
    const busy = tenantCost([sample(1, 200)], now); // 6,000 a month projected: over the 5,000
    expect(busy.allowance).toEqual({
      sharedBy: 'all integrations of the customer',
      beyond: 'billed',
      leftForOthers: { requests: 0, mbDown: expect.any(Number), mbUp: expect.any(Number) },
    });
    const quiet = tenantCost([sample(1, 104)], now);
    expect(quiet.allowance.leftForOthers.requests).toBe(5_000 - 104 * 30);
  });
});
