/**
 * A full pass whose connection to the MongoDB-wire server is lost while a page's records are
 * being inserted, as a restart of the server does it (test/sync/restarts.test.ts once completed
 * such a pass with two pages of suppliers missing from the store). A proxy between the worker and
 * FerretDB cuts the connection exactly when the insert passes — before the server gets it, or
 * after it ran with its answer lost. The pass must not count the page as stored: it resumes, and
 * the store equals the simulator's truth.
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { SyncRunSummary } from '../../src/domain/figures';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { startHarness, type Harness } from '../support/harness';
import { DATA_TYPE_TRUTH, expectStreamEqualsTruth, runSync, streamFigures } from '../support/sync';
import { startWireProxy, type Cut, type WireProxy } from '../support/wire-proxy';

const OWNER = SEED_ENTITIES.owner1;

let proxy: WireProxy;
let h: Harness;

beforeAll(async () => {
  proxy = await startWireProxy(inject('mongoUri'));
  h = await startHarness({ seed: 17, suppliers: 300 }, undefined, { uri: proxy.uri });
  await h.startWorker({ pageSize: 50 });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await proxy?.close();
});

describe('a page insert cut by a lost connection', () => {
  it.each<Cut>(['before', 'after-reply'])(
    'cut %s the server ran it: the pass resumes and the store equals the truth',
    async (how) => {
      const tenantId = `cut-${how}`;
      await h.saveTenant({ tenantId, xledger: { token: SEED_TOKENS.owner1 }, entityOwnerDbId: OWNER });
      const cutsBefore = proxy.cuts();
      proxy.cutNext('insert', 'suppliers', how);
      const run: SyncRunSummary = await runSync(h, tenantId, 'suppliers', 'full');
      expect(proxy.cuts()).toBe(cutsBefore + 1);
      expect(run.status).toBe('completed');
      expect(streamFigures(run, 'suppliers').deleted).toBe(0);
      await expectStreamEqualsTruth(h, tenantId, OWNER, DATA_TYPE_TRUTH.suppliers![0]!);
    },
    120_000,
  );
});
