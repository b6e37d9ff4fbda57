import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectStore, type Store } from '../../src/store/db';
import { completeSyncRequest, requestSync, takeSyncRequest } from '../../src/store/sync-requests';

/** A resync request is served by exactly the run that completes it: never lost, never served twice. */
let store: Store;

beforeAll(async () => {
  store = await connectStore(
    inject('mongoUri'),
    `${inject('mongoDbName')}_req_${randomBytes(4).toString('hex')}`,
  );
});
afterAll(async () => {
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
});

describe('resync requests', () => {
  it('merge until a run takes them; full wins over incremental', async () => {
    await requestSync(store.db, 't1', 'suppliers', false);
    await requestSync(store.db, 't1', 'suppliers', true);
    await requestSync(store.db, 't1', 'suppliers', false);
    expect(await takeSyncRequest(store.db, 't1', 'suppliers', 'run-1')).toEqual({ full: true });
    expect(await takeSyncRequest(store.db, 't1', 'accounts', 'run-1')).toBeNull();
  });

  it('a retried planning step of the same run gets the request again', async () => {
    await requestSync(store.db, 't2', 'suppliers', true);
    expect(await takeSyncRequest(store.db, 't2', 'suppliers', 'run-1')).toEqual({ full: true });
    expect(await takeSyncRequest(store.db, 't2', 'suppliers', 'run-1')).toEqual({ full: true });
    await completeSyncRequest(store.db, 't2', 'suppliers', 'run-1');
    expect(await takeSyncRequest(store.db, 't2', 'suppliers', 'run-2')).toBeNull();
  });

  it('a run that dies before completing leaves the request to the next run', async () => {
    await requestSync(store.db, 't3', 'suppliers', false);
    expect(await takeSyncRequest(store.db, 't3', 'suppliers', 'dead-run')).toEqual({ full: false });
    expect(await takeSyncRequest(store.db, 't3', 'suppliers', 'next-run')).toEqual({ full: false });
    // The dead run's late completion (a zombie activity) does not remove the next run's request.
    await completeSyncRequest(store.db, 't3', 'suppliers', 'dead-run');
    expect(await takeSyncRequest(store.db, 't3', 'suppliers', 'next-run')).toEqual({ full: false });
  });

  it('a request made while a run holds the previous one stays for the run after it', async () => {
    await requestSync(store.db, 't4', 'suppliers', false);
    expect(await takeSyncRequest(store.db, 't4', 'suppliers', 'run-1')).toEqual({ full: false });
    await requestSync(store.db, 't4', 'suppliers', true);
    await completeSyncRequest(store.db, 't4', 'suppliers', 'run-1');
    expect(await takeSyncRequest(store.db, 't4', 'suppliers', 'run-2')).toEqual({ full: true });
  });

  it('a request made while a run serves a full one is a request of its own', async () => {
    await requestSync(store.db, 't5', 'suppliers', true);
    expect(await takeSyncRequest(store.db, 't5', 'suppliers', 'run-1')).toEqual({ full: true });
    await requestSync(store.db, 't5', 'suppliers', false);
    await requestSync(store.db, 't5', 'suppliers', false);
    await completeSyncRequest(store.db, 't5', 'suppliers', 'run-1');
    expect(await takeSyncRequest(store.db, 't5', 'suppliers', 'run-2')).toEqual({ full: false });
  });
});
