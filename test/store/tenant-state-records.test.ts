import { describe, expect, it } from 'vitest';
import {
  applyToDataTypeRecord,
  clearAttention,
  loadDataTypeRecord,
  loadTenantState,
  markOnboarded,
  markReady,
  raiseAttention,
} from '../../src/store/tenant-state';
import { afterFailure, afterSuccess } from '../../src/domain/data-type-state';
import { collections } from '../../src/store/collections';
import { useScratchDb } from '../support/scratch-store';

/**
 * The tenant and data type state documents on the run's MongoDB-wire server: transitions that
 * are announced with an event happen once, however many runs or calls race for them.
 */
const db = useScratchDb('state');

const attention = (run: string, dataType = 'suppliers') => ({
  reason: 'token_revoked' as const,
  message: 'Xledger refused the token',
  dataType,
  since: '2026-01-01T00:00:00.000Z',
  run,
});

describe('tenant state store', () => {
  it('raises attention once among concurrent runs, each of which gets the same episode back', async () => {
    const raised = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((run) => raiseAttention(db(), 't1', attention(`sync:t1:x:${run}`))),
    );
    expect(raised.filter((r) => r.mine)).toHaveLength(1);
    const winner = raised.find((r) => r.mine)!.attention;
    expect(winner.episode).toBe(1);
    for (const r of raised) expect(r.attention).toEqual(winner);
    // The raising run's retried step finds its own attention; a later run finds it raised.
    expect(await raiseAttention(db(), 't1', attention(winner.run))).toEqual({
      attention: winner,
      mine: true,
    });
    expect(await raiseAttention(db(), 't1', attention('sync:t1:x:late'))).toEqual({
      attention: winner,
      mine: false,
    });
    expect(await loadTenantState(db(), 't1')).toMatchObject({ episodes: 1, attention: winner });
    expect(await db().collection(collections.tenantStateTransitions).countDocuments({ tenantId: 't1' })).toBe(
      1,
    );
  });

  it('clears it once; a later clear returns the same recovery, not a new one; the next episode is 2', async () => {
    expect(await clearAttention(db(), 'never', 'resumed')).toBeNull();
    const cleared = await Promise.all([
      clearAttention(db(), 't1', 'token_replaced'),
      clearAttention(db(), 't1', 'resumed'),
    ]);
    expect(cleared.filter((c) => c?.now)).toHaveLength(1);
    const recovery = cleared.find((c) => c?.now)!.recovery;
    expect(recovery.episode).toBe(1);
    expect(await clearAttention(db(), 't1', 'resumed')).toEqual({ recovery, now: false });
    expect((await loadTenantState(db(), 't1'))?.attention).toBeNull();

    const again = await raiseAttention(db(), 't1', attention('sync:t1:x:f', 'accounts'));
    expect(again).toMatchObject({ mine: true, attention: { episode: 2, dataType: 'accounts' } });
    // While the new episode is open, a clear ends it — not the old one again.
    expect(await clearAttention(db(), 't1', 'resumed')).toMatchObject({
      now: true,
      recovery: { episode: 2 },
    });
  });

  it('marks a tenant ready once, and onboarding again starts over', async () => {
    await markOnboarded(db(), 't2', new Date('2026-01-01T00:00:00Z'));
    expect((await loadTenantState(db(), 't2'))?.readyAt).toBeNull();
    expect(await markReady(db(), 't2', new Date('2026-01-02T00:00:00Z'))).toBe('2026-01-02T00:00:00.000Z');
    expect(await markReady(db(), 't2', new Date('2026-01-03T00:00:00Z'))).toBe('2026-01-02T00:00:00.000Z');
    await markOnboarded(db(), 't2', new Date('2026-02-01T00:00:00Z'));
    expect(await loadTenantState(db(), 't2')).toMatchObject({
      onboardedAt: '2026-02-01T00:00:00.000Z',
      readyAt: null,
    });
  });

  it('applies a run outcome to its data type once', async () => {
    const failure = {
      kind: 'auth' as const,
      message: 'refused',
      at: '2026-01-01T00:00:00.000Z',
      workflowId: 'sync:t3:suppliers',
      runId: 'r1',
    };
    await applyToDataTypeRecord(db(), 't3', 'suppliers', (r) => afterFailure(r, failure));
    await applyToDataTypeRecord(db(), 't3', 'suppliers', (r) => afterFailure(r, failure));
    expect(await loadDataTypeRecord(db(), 't3', 'suppliers')).toMatchObject({
      tenantId: 't3',
      dataType: 'suppliers',
      consecutiveFailures: 1,
      lastFailure: failure,
    });
    await applyToDataTypeRecord(db(), 't3', 'suppliers', (r) =>
      afterSuccess(r, {
        workflowId: 'sync:t3:suppliers',
        runId: 'r2',
        finishedAt: '2026-01-02T00:00:00.000Z',
      }),
    );
    expect(await loadDataTypeRecord(db(), 't3', 'suppliers')).toMatchObject({
      consecutiveFailures: 0,
      lastSuccessAt: '2026-01-02T00:00:00.000Z',
      lastFailure: failure,
    });
  });
});
