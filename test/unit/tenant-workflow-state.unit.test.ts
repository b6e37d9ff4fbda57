import { describe, expect, it } from 'vitest';
import type { ResyncRequest } from '../../src/temporal/definitions';
import { TenantState } from '../../src/workflows/tenant-state';

const T0 = '2026-05-10T12:00:00.000Z';
const T1 = '2026-05-10T12:01:00.000Z';
const T2 = '2026-05-10T12:02:00.000Z';

describe('TenantState: what the tenant workflow was asked and did', () => {
  it('queues every request as sent, keeping only what a request may say', () => {
    const state = new TenantState('acme', T0);
    state.request({ dataTypes: ['suppliers', 'accounts'], full: true, allowMassDelete: true }, T1);
    state.request({}, T2);
    // A signal's payload is not type-checked on the wire: junk is dropped, never thrown on.
    state.request({ dataTypes: ['projects', 42, null], full: 'yes' } as unknown as ResyncRequest, T2);
    state.request({ dataTypes: 'suppliers', allowMassDelete: true } as unknown as ResyncRequest, T2);
    expect(state.status()).toEqual({
      tenantId: 'acme',
      startedAt: T0,
      recent: [],
      pending: [
        {
          dataTypes: ['suppliers', 'accounts'],
          full: true,
          allowMassDelete: true,
          requestedAt: T1,
          dispatchedAt: null,
          ignored: [],
        },
        { dataTypes: [], full: false, requestedAt: T2, dispatchedAt: null, ignored: [] },
        { dataTypes: ['projects'], full: false, requestedAt: T2, dispatchedAt: null, ignored: [] },
        // allowMassDelete only ever rides on a full pass.
        { dataTypes: [], full: false, requestedAt: T2, dispatchedAt: null, ignored: [] },
      ],
    });
  });

  it('takes everything pending at once, so many signals become one dispatch', () => {
    const state = new TenantState('acme', T0);
    state.request({ dataTypes: ['suppliers'] }, T1);
    state.request({ dataTypes: ['accounts'], full: true }, T2);
    const taken = state.takePending();
    expect(taken.map((r) => r.dataTypes)).toEqual([['suppliers'], ['accounts']]);
    expect(state.status().pending).toEqual([]);
    expect(state.takePending()).toEqual([]);
  });

  it('puts a failed dispatch back in front of the requests that came since', () => {
    const state = new TenantState('acme', T0);
    state.request({ dataTypes: ['suppliers'] }, T0);
    const taken = state.takePending();
    state.request({ dataTypes: ['accounts'] }, T1);
    state.requeue(taken);
    expect(state.status().pending.map((r) => r.dataTypes)).toEqual([['suppliers'], ['accounts']]);
  });

  it('stamps dispatched requests, names the types the tenant does not sync, newest first, 20 kept', () => {
    const state = new TenantState('acme', T0);
    state.request({ dataTypes: ['suppliers', 'fixed_assets'] }, T0);
    state.request({ dataTypes: ['accounts'] }, T0);
    const taken = state.takePending();
    state.dispatched(taken, ['fixed_assets'], T1);
    expect(state.status().recent).toEqual([
      expect.objectContaining({
        dataTypes: ['suppliers', 'fixed_assets'],
        dispatchedAt: T1,
        ignored: ['fixed_assets'],
      }),
      expect.objectContaining({ dataTypes: ['accounts'], dispatchedAt: T1, ignored: [] }),
    ]);
    for (let n = 0; n < 25; n++) {
      state.request({ dataTypes: [`type-${n}`] }, T2);
      state.dispatched(state.takePending(), [], T2);
    }
    const recent = state.status().recent;
    expect(recent).toHaveLength(20);
    expect(recent[0]!.dataTypes).toEqual(['type-24']);
    expect(recent[19]!.dataTypes).toEqual(['type-5']);
  });

  it('carries its queue and history over continue-as-new', () => {
    const before = new TenantState('acme', T0);
    before.request({ dataTypes: ['suppliers'] }, T0);
    before.request({ dataTypes: ['accounts'] }, T0);
    before.dispatched(before.takePending(), [], T1);
    before.request({ dataTypes: ['projects'] }, T1);
    const after = new TenantState('acme', T2, before.status());
    expect(after.status()).toEqual({ ...before.status(), startedAt: T2 });
    expect(after.status().recent.map((r) => r.dataTypes)).toEqual([['suppliers'], ['accounts']]);
    expect(after.takePending().map((r) => r.dataTypes)).toEqual([['projects']]);
  });
});
