import { describe, expect, it } from 'vitest';
import { completeSyncRequest, requestSync, takeSyncRequest } from '../../src/store/sync-requests';
import { useScratchDb } from '../support/scratch-store';

/** A resync request is served by exactly the run that completes it: never lost, never served twice. */
const db = useScratchDb('req');

describe('resync requests', () => {
  it('merge until a run takes them; full wins over incremental', async () => {
    await requestSync(db(), 't1', 'suppliers', { full: false });
    await requestSync(db(), 't1', 'suppliers', { full: true });
    await requestSync(db(), 't1', 'suppliers', { full: false });
    expect(await takeSyncRequest(db(), 't1', 'suppliers', 'run-1')).toEqual({ full: true });
    expect(await takeSyncRequest(db(), 't1', 'accounts', 'run-1')).toBeNull();
  });

  it('a retried planning step of the same run gets the request again', async () => {
    await requestSync(db(), 't2', 'suppliers', { full: true });
    expect(await takeSyncRequest(db(), 't2', 'suppliers', 'run-1')).toEqual({ full: true });
    expect(await takeSyncRequest(db(), 't2', 'suppliers', 'run-1')).toEqual({ full: true });
    await completeSyncRequest(db(), 't2', 'suppliers', 'run-1');
    expect(await takeSyncRequest(db(), 't2', 'suppliers', 'run-2')).toBeNull();
  });

  it('a run that dies before completing leaves the request to the next run', async () => {
    await requestSync(db(), 't3', 'suppliers', { full: false });
    expect(await takeSyncRequest(db(), 't3', 'suppliers', 'dead-run')).toEqual({ full: false });
    expect(await takeSyncRequest(db(), 't3', 'suppliers', 'next-run')).toEqual({ full: false });
    // The dead run's late completion (a zombie activity) does not remove the next run's request.
    await completeSyncRequest(db(), 't3', 'suppliers', 'dead-run');
    expect(await takeSyncRequest(db(), 't3', 'suppliers', 'next-run')).toEqual({ full: false });
  });

  it('a request made while a run holds the previous one stays for the run after it', async () => {
    await requestSync(db(), 't4', 'suppliers', { full: false });
    expect(await takeSyncRequest(db(), 't4', 'suppliers', 'run-1')).toEqual({ full: false });
    await requestSync(db(), 't4', 'suppliers', { full: true });
    await completeSyncRequest(db(), 't4', 'suppliers', 'run-1');
    expect(await takeSyncRequest(db(), 't4', 'suppliers', 'run-2')).toEqual({ full: true });
  });

  it('a request made while a run serves a full one is a request of its own', async () => {
    await requestSync(db(), 't5', 'suppliers', { full: true });
    expect(await takeSyncRequest(db(), 't5', 'suppliers', 'run-1')).toEqual({ full: true });
    await requestSync(db(), 't5', 'suppliers', { full: false });
    await requestSync(db(), 't5', 'suppliers', { full: false });
    await completeSyncRequest(db(), 't5', 'suppliers', 'run-1');
    expect(await takeSyncRequest(db(), 't5', 'suppliers', 'run-2')).toEqual({ full: false });
  });

  it('an allowed mass deletion rides only on a full request, and a plain one does not take it back', async () => {
    await requestSync(db(), 't6', 'suppliers', { full: false, allowMassDelete: true });
    expect(await takeSyncRequest(db(), 't6', 'suppliers', 'run-1')).toEqual({ full: false });
    await completeSyncRequest(db(), 't6', 'suppliers', 'run-1');
    await requestSync(db(), 't6', 'suppliers', { full: true, allowMassDelete: true });
    await requestSync(db(), 't6', 'suppliers', { full: true });
    expect(await takeSyncRequest(db(), 't6', 'suppliers', 'run-2')).toEqual({
      full: true,
      allowMassDelete: true,
    });
    await completeSyncRequest(db(), 't6', 'suppliers', 'run-2');
    await requestSync(db(), 't6', 'suppliers', { full: true });
    expect(await takeSyncRequest(db(), 't6', 'suppliers', 'run-3')).toEqual({ full: true });
  });
});

describe('client request ids on resync requests', () => {
  it('every request merged into one is served by the run that takes it; a new request after that starts afresh', async () => {
    await requestSync(db(), 't7', 'suppliers', { full: false, requestIds: ['a'] });
    await requestSync(db(), 't7', 'suppliers', { full: true, requestIds: ['b'] });
    await requestSync(db(), 't7', 'suppliers', { full: false });
    await requestSync(db(), 't7', 'suppliers', { full: false, requestIds: ['a'] });
    expect(await takeSyncRequest(db(), 't7', 'suppliers', 'run-1')).toEqual({
      full: true,
      requestIds: ['a', 'b'],
    });
    // Made while run-1 holds the request: a request of its own, for the run after it.
    await requestSync(db(), 't7', 'suppliers', { full: false, requestIds: ['c'] });
    await completeSyncRequest(db(), 't7', 'suppliers', 'run-1');
    expect(await takeSyncRequest(db(), 't7', 'suppliers', 'run-2')).toEqual({
      full: false,
      requestIds: ['c'],
    });
  });
});
