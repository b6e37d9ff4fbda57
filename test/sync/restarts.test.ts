/**
 * Server restarts as an operator meets them, on a Temporal dev server and a MongoDB-wire server
 * of this test's own (same database files after the restart):
 * - Temporal goes away while invoices are being posted (a create slowed so that some are mid-
 *   request): afterwards every invoice is in Xledger exactly once;
 * - FerretDB goes away in the middle of a full pass: the pass completes and the store equals
 *   the simulator's truth;
 * - the tenant's schedules keep starting runs after both.
 */
import type { DataType } from '../../src/domain/data-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XledgerSyncClient } from '../../src/client';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { collections } from '../../src/store/collections';
import { type OutboxInvoice } from '../../src/invoices/outbox';
import { recordsCollection } from '../../src/store/records';
import { unfinishedPassOfRun } from '../../src/store/sync-passes';
import type { StoredRun } from '../../src/store/runs';
import type { SyncRunSummary } from '../../src/domain/figures';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';
import { startOwnMongo, startOwnTemporal, type OwnMongo, type OwnTemporal } from '../support/own-servers';
import { checkPostings } from '../support/postings';
import { addFault, clearFaults, DATA_TYPE_TRUTH, expectStreamEqualsTruth, startSync } from '../support/sync';
import { connectApi, sleep, waitFor, waitForRuns } from '../tenants/support';

const TENANT = 'restarts';
/** Synced by hand only (no schedules), so that no scheduled pass meets the one under test. */
const SYNC_TENANT = 'restarts-sync';
const OWNER = SEED_ENTITIES.owner1;
const MASTER_DATA: DataType[] = ['suppliers', 'accounts', 'vatCodes', 'currencies', 'dimensions'];
const INVOICES = 8;

let temporal: OwnTemporal;
let mongo: OwnMongo;
let h: Harness;
let api: XledgerSyncClient;
let restartedAt = 0;

beforeAll(async () => {
  [temporal, mongo] = await Promise.all([startOwnTemporal('restarts'), startOwnMongo('restarts')]);
  h = await startHarness({ seed: 29, suppliers: 1_200, importProcessingDelayMs: 1_500 }, temporal, mongo);
  await h.startWorker({ pageSize: 100, heartbeatIntervalMs: 1_000 });
  api = await connectApi(h);
  // Currencies every minute: the schedule whose runs must go on after the restarts.
  await api.upsertTenant({
    tenantId: TENANT,
    xledger: { token: SEED_TOKENS.owner1 },
    entityOwnerDbId: OWNER,
    intervalMinutes: { currencies: 1 },
  });
  await api.forceResync(TENANT, { dataTypes: MASTER_DATA, full: true });
  for (const dataType of MASTER_DATA) await waitForRuns(h, TENANT, dataType, 1, 120_000);
  await h.saveTenant({
    tenantId: SYNC_TENANT,
    xledger: { token: SEED_TOKENS.owner1 },
    entityOwnerDbId: OWNER,
  });
}, 240_000);
afterAll(async () => {
  await api?.close();
  await h?.close();
  await Promise.all([temporal?.close(), mongo?.close()]);
});

describe('restarts of Temporal and of the MongoDB-wire server', () => {
  it(
    'Temporal restarted mid-posting: every invoice is in Xledger exactly once',
    { timeout: 300_000 },
    async () => {
      const supplier = await recordsCollection(h.store.db, 'suppliers').findOne({
        tenantId: TENANT,
        entityDbId: OWNER,
        visibility: 'owner',
        deletedAt: null,
      });
      // Each create takes 2 s: Temporal goes away while some are in flight.
      await addFault(h, { kind: 'slow', field: 'addGLImportItems', probability: 1, delayMs: 2_000 });
      for (let i = 0; i < INVOICES; i++) {
        await api.submitInvoice(
          TENANT,
          demoInvoice(`RST-${i}`, String(supplier!.code), { invoiceNumber: `R-${i}` }),
        );
      }
      const outbox = h.store.db.collection<OutboxInvoice>(collections.invoiceOutbox);
      await waitFor(
        'a posting in flight',
        async () => (await outbox.countDocuments({ tenantId: TENANT, state: 'posting' })) > 0,
        {
          timeoutMs: 60_000,
          intervalMs: 50,
        },
      );
      const inFlight = await outbox.countDocuments({ tenantId: TENANT, state: 'posting' });
      await temporal.stop();
      await sleep(8_000);
      await temporal.start();
      await clearFaults(h);
      restartedAt = Date.now();

      await waitFor(
        'every invoice posted',
        async () => (await outbox.countDocuments({ tenantId: TENANT, state: 'posted' })) === INVOICES,
        { timeoutMs: 240_000, intervalMs: 500 },
      );
      const check = await checkPostings(h, [TENANT], [OWNER]);
      console.log(
        `[restarts] Temporal down 8 s with ${inFlight} posting(s) in flight: ${JSON.stringify(check)}`,
      );
      expect(inFlight).toBeGreaterThan(0);
      expect(check.duplicates).toEqual([]);
      expect(check.lost).toEqual([]);
      expect(check.postedOnce).toBe(INVOICES);
    },
  );

  it(
    'FerretDB restarted mid-pass: the pass completes and the store equals the truth',
    { timeout: 240_000 },
    async () => {
      await addFault(h, { kind: 'slow', field: 'suppliers', probability: 1, delayMs: 700 });
      const handle = await startSync(h, SYNC_TENANT, 'suppliers', 'full');
      const storedPages = async () =>
        (await unfinishedPassOfRun(h.store.db, SYNC_TENANT, 'suppliers', handle.firstExecutionRunId))?.counts
          .pages ?? 0;
      await waitFor('two pages stored', async () => (await storedPages()) >= 2, {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      await mongo.stop();
      await sleep(6_000);
      await mongo.start();
      await clearFaults(h);
      restartedAt = Date.now();

      const run = (await handle.result()) as SyncRunSummary;
      expect(run.status).toBe('completed');
      expect(run.totals.deleted).toBe(0);
      await expectStreamEqualsTruth(h, SYNC_TENANT, OWNER, DATA_TYPE_TRUTH.suppliers![0]!);
    },
  );

  it('the schedules keep running after both restarts', { timeout: 180_000 }, async () => {
    expect(restartedAt).toBeGreaterThan(0);
    const scheduled = await waitFor(
      'a scheduled currencies run after the restarts',
      async () =>
        (await h.store.db.collection<StoredRun>(collections.runs).findOne({
          tenantId: TENANT,
          dataType: 'currencies',
          trigger: 'schedule',
          startedAt: { $gt: new Date(restartedAt).toISOString() },
        })) ?? undefined,
      { timeoutMs: 150_000, intervalMs: 1_000 },
    );
    expect(scheduled.status).toBe('completed');
    const status = await api.tenantStatus(TENANT);
    expect(status.paused).toBe(false);
    expect(status.dataTypes.find((type) => type.dataType === 'currencies')?.nextRunAt).not.toBeNull();
  });
});
